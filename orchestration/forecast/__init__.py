"""Second source: hourly weather forecasts per municipality, and dated municipality figures."""
