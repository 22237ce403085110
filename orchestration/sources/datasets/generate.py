"""Example datasets shaped like the ones analysts get, to onboard and build (`medallion generate dataset`).

* credit-risk: a loan book CSV, 74 columns (amounts, rates, grade, employment length, home ownership,
  income, status, issue month ...) with missing values where real loan books have them.
* motor-temperature: a sensor time series CSV, 13 float columns and a session id (`profile_id`), each
  session a smooth run of a permanent-magnet motor on a test bench.
* citesum: a JSON array of papers, each with nested `citations` and `summaries` (arrays of objects) and
  a nested `venue` object.

Every file is the same for the same `--rows` and `--seed`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

STATES = [
    "CA",
    "NY",
    "TX",
    "FL",
    "IL",
    "NJ",
    "PA",
    "OH",
    "GA",
    "VA",
    "NC",
    "MI",
    "MD",
    "AZ",
    "MA",
    "WA",
    "CO",
    "MN",
    "MO",
    "IN",
    "TN",
    "CT",
    "WI",
    "NV",
    "OR",
    "SC",
    "AL",
    "LA",
    "KY",
    "OK",
]
PURPOSES = [
    "debt_consolidation", "credit_card", "home_improvement", "other", "major_purchase",
    "small_business", "car", "medical", "moving", "vacation", "house", "wedding", "renewable_energy",
]  # fmt: skip
TITLES = ["Teacher", "Manager", "Registered Nurse", "Driver", "Owner", "Sales", "Supervisor", "Engineer", "Analyst"]


def _write_csv(frame: pd.DataFrame, out: Path) -> int:
    out.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        con.from_df(frame).write_csv(str(out), header=True, sep=",")
    finally:
        con.close()
    return len(frame)


def _missing(rng: np.random.Generator, values: np.ndarray, share: float, dtype: str) -> pd.Series:
    series = pd.Series(values).astype(dtype)
    series[rng.random(len(values)) < share] = pd.NA
    return series


def credit_risk(out: Path, rows: int, seed: int = 12) -> int:
    rng = np.random.default_rng(seed)
    n = rows
    grades = np.array(list("ABCDEFG"))
    grade_index = np.minimum(rng.geometric(0.38, n) - 1, 6)
    rate = np.round(5.3 + grade_index * 3.9 + rng.normal(0, 1.1, n).clip(-2.5, 2.5), 2)
    amount = (np.round(rng.lognormal(9.3, 0.6, n) / 25) * 25).clip(1000, 40000)
    term = np.where(rng.random(n) < 0.7, 36, 60)
    monthly = rate / 1200
    installment = np.round(amount * monthly / (1 - (1 + monthly) ** -term), 2)
    months = pd.period_range("2007-06", "2015-12", freq="M")
    weights = np.linspace(0.2, 3.0, len(months)) ** 2
    issue = months[rng.choice(len(months), n, p=weights / weights.sum())]
    income = np.round(rng.lognormal(11.0, 0.5, n), -2)
    status = rng.choice(
        ["Current", "Fully Paid", "Charged Off", "Late (31-120 days)", "In Grace Period", "Late (16-30 days)"],
        n,
        p=[0.68, 0.23, 0.05, 0.02, 0.01, 0.01],
    )
    paid = np.round(amount * rng.uniform(0, 1.2, n), 2)
    frame = {
        "id": np.arange(1, n + 1) * 7 + 1_077_000,
        "member_id": np.arange(1, n + 1) * 11 + 1_296_000,
        "loan_amnt": amount,
        "funded_amnt": amount,
        "funded_amnt_inv": np.round(amount - rng.choice([0, 25, 50, 100], n, p=[0.9, 0.04, 0.03, 0.03]), 2),
        "term": [f" {t} months" for t in term],
        "int_rate": rate,
        "installment": installment,
        "grade": grades[grade_index],
        "sub_grade": [f"{g}{s}" for g, s in zip(grades[grade_index], rng.integers(1, 6, n), strict=True)],
        "emp_title": _missing(rng, rng.choice(TITLES, n), 0.06, "string"),
        "emp_length": _missing(
            rng,
            rng.choice(["< 1 year", "1 year", *(f"{y} years" for y in range(2, 10)), "10+ years"], n),
            0.05,
            "string",
        ),
        "home_ownership": rng.choice(["MORTGAGE", "RENT", "OWN", "OTHER"], n, p=[0.5, 0.4, 0.098, 0.002]),
        "annual_inc": income,
        "verification_status": rng.choice(["Source Verified", "Verified", "Not Verified"], n),
        "issue_d": [p.start_time.date().isoformat() for p in issue],
        "loan_status": status,
        "pymnt_plan": np.where(rng.random(n) < 0.0001, "y", "n"),
        "url": [f"https://lendingclub.example/browse/loanDetail.action?loan_id={i}" for i in range(1, n + 1)],
        "desc": _missing(
            rng, rng.choice(["Borrower added on: consolidate cards", "Home repairs", "Pay off debt"], n), 0.86, "string"
        ),
        "purpose": rng.choice(PURPOSES, n),
        "title": _missing(
            rng, rng.choice(["Debt consolidation", "Credit card refinancing", "Home improvement"], n), 0.01, "string"
        ),
        "zip_code": [f"{z:03d}xx" for z in rng.integers(10, 999, n)],
        "addr_state": rng.choice(STATES, n),
        "dti": np.round(rng.gamma(4.0, 4.5, n).clip(0, 60), 2),
        "delinq_2yrs": rng.poisson(0.3, n),
        "earliest_cr_line": [
            f"{y}-{m:02d}-01" for y, m in zip(rng.integers(1970, 2012, n), rng.integers(1, 13, n), strict=True)
        ],
        "inq_last_6mths": rng.poisson(0.7, n),
        "mths_since_last_delinq": _missing(rng, rng.integers(0, 150, n), 0.51, "Int64"),
        "mths_since_last_record": _missing(rng, rng.integers(0, 130, n), 0.85, "Int64"),
        "open_acc": rng.poisson(11, n) + 1,
        "pub_rec": rng.poisson(0.2, n),
        "revol_bal": rng.integers(0, 60000, n),
        "revol_util": _missing(rng, np.round(rng.uniform(0, 120, n), 1), 0.001, "Float64"),
        "total_acc": rng.poisson(25, n) + 2,
        "initial_list_status": rng.choice(["f", "w"], n),
        "out_prncp": np.round(amount * rng.uniform(0, 1, n), 2),
        "out_prncp_inv": np.round(amount * rng.uniform(0, 1, n), 2),
        "total_pymnt": paid,
        "total_pymnt_inv": np.round(paid * 0.99, 2),
        "total_rec_prncp": np.round(paid * 0.8, 2),
        "total_rec_int": np.round(paid * 0.2, 2),
        "total_rec_late_fee": np.round(rng.exponential(0.4, n) * (rng.random(n) < 0.01), 2),
        "recoveries": np.round(rng.exponential(50, n) * (status == "Charged Off"), 2),
        "collection_recovery_fee": np.round(rng.exponential(5, n) * (status == "Charged Off"), 2),
        "last_pymnt_d": _missing(rng, np.array([p.start_time.date().isoformat() for p in issue + 12]), 0.02, "string"),
        "last_pymnt_amnt": np.round(installment * rng.uniform(0.5, 1.5, n), 2),
        "next_pymnt_d": _missing(rng, np.array([p.start_time.date().isoformat() for p in issue + 13]), 0.29, "string"),
        "last_credit_pull_d": [p.start_time.date().isoformat() for p in issue + 14],
        "collections_12_mths_ex_med": rng.poisson(0.01, n),
        "mths_since_last_major_derog": _missing(rng, rng.integers(0, 180, n), 0.75, "Int64"),
        "policy_code": np.ones(n, dtype=int),
        "application_type": np.where(rng.random(n) < 0.0005, "JOINT", "INDIVIDUAL"),
        "annual_inc_joint": _missing(rng, np.round(income * 1.6, -2), 0.9995, "Float64"),
        "dti_joint": _missing(rng, np.round(rng.uniform(3, 40, n), 2), 0.9995, "Float64"),
        "verification_status_joint": _missing(rng, rng.choice(["Verified", "Not Verified"], n), 0.9995, "string"),
        "acc_now_delinq": rng.poisson(0.005, n),
        "tot_coll_amt": _missing(rng, rng.integers(0, 500, n), 0.08, "Int64"),
        "tot_cur_bal": _missing(rng, rng.integers(0, 500000, n), 0.08, "Int64"),
        "open_acc_6m": _missing(rng, rng.poisson(1, n), 0.98, "Int64"),
        "open_il_6m": _missing(rng, rng.poisson(2, n), 0.98, "Int64"),
        "open_il_12m": _missing(rng, rng.poisson(1, n), 0.98, "Int64"),
        "open_il_24m": _missing(rng, rng.poisson(2, n), 0.98, "Int64"),
        "mths_since_rcnt_il": _missing(rng, rng.integers(0, 200, n), 0.98, "Int64"),
        "total_bal_il": _missing(rng, rng.integers(0, 90000, n), 0.98, "Int64"),
        "il_util": _missing(rng, np.round(rng.uniform(0, 150, n), 1), 0.98, "Float64"),
        "open_rv_12m": _missing(rng, rng.poisson(1.3, n), 0.98, "Int64"),
        "open_rv_24m": _missing(rng, rng.poisson(3, n), 0.98, "Int64"),
        "max_bal_bc": _missing(rng, rng.integers(0, 30000, n), 0.98, "Int64"),
        "all_util": _missing(rng, np.round(rng.uniform(0, 150, n), 1), 0.98, "Float64"),
        "total_rev_hi_lim": _missing(rng, rng.integers(0, 100000, n), 0.08, "Int64"),
        "inq_fi": _missing(rng, rng.poisson(1, n), 0.98, "Int64"),
        "total_cu_tl": _missing(rng, rng.poisson(1.5, n), 0.98, "Int64"),
        "inq_last_12m": _missing(rng, rng.poisson(2, n), 0.98, "Int64"),
    }
    return _write_csv(pd.DataFrame(frame), out)


MOTOR_COLUMNS = (
    "u_q", "coolant", "stator_winding", "u_d", "stator_tooth", "motor_speed",
    "i_d", "i_q", "pm", "stator_yoke", "ambient", "torque",
)  # fmt: skip


def motor_temperature(out: Path, rows: int, seed: int = 12) -> int:
    """Sessions of 2 Hz samples: a mean-reverting walk per quantity around its level (each session from it)."""
    rng = np.random.default_rng(seed)
    sessions = max(1, min(69, rows // 1000))
    cuts = np.sort(rng.choice(np.arange(1, rows), sessions - 1, replace=False)) if sessions > 1 else []
    profile = np.zeros(rows, dtype=int)
    for cut in cuts:
        profile[cut:] += 1
    ids = np.array(sorted(rng.choice(np.arange(2, 90), sessions, replace=False)))[profile]
    levels = {"u_q": 55, "coolant": 36, "stator_winding": 66, "u_d": -25, "stator_tooth": 56, "motor_speed": 2200,
              "i_d": -68, "i_q": 37, "pm": 58, "stator_yoke": 48, "ambient": 24.5, "torque": 31}  # fmt: skip
    spread = {name: abs(level) * 0.4 + 1 for name, level in levels.items()}
    frame: dict[str, object] = {}
    for name in MOTOR_COLUMNS:
        # A mean-reverting walk per quantity (it drifts, and is pulled back to its level), kept within two
        # spreads of the level, as a bench's sensors are.
        steps = rng.normal(0, 1, rows)
        walk = np.empty(rows)
        value = 0.0
        for i in range(rows):
            value = 0.0 if i and profile[i] != profile[i - 1] else value
            value = value * 0.995 + steps[i]
            walk[i] = value
        drift = np.clip(walk / 10 * spread[name], -2 * spread[name], 2 * spread[name])
        frame[name] = np.round(levels[name] + drift + rng.normal(0, spread[name] * 0.01, rows), 6)
    frame["profile_id"] = ids
    return _write_csv(pd.DataFrame(frame), out)


WORDS = [
    "citation",
    "summarization",
    "graph",
    "neural",
    "model",
    "language",
    "transformer",
    "abstract",
    "scientific",
    "paper",
    "dataset",
    "method",
    "results",
    "evaluation",
    "benchmark",
    "attention",
    "retrieval",
    "learning",
    "representation",
    "context",
    "domain",
]
CATEGORIES = ["cs.CL", "cs.LG", "cs.AI", "cs.IR", "cs.CV", "stat.ML"]
VENUES = ["ACL", "EMNLP", "NAACL", "NeurIPS", "ICML", "ICLR", "arXiv"]


def citesum(out: Path, rows: int, seed: int = 12) -> int:
    """A JSON array of papers; each has a nested venue, and arrays of citations and summaries."""
    rng = np.random.default_rng(seed)

    def sentence(k: int) -> str:
        return " ".join(rng.choice(WORDS, k)).capitalize() + "."

    papers = []
    for n in range(rows):
        year = int(rng.integers(2012, 2023))
        month = int(rng.integers(1, 13))
        paper = {
            "paper_id": f"{year % 100:02d}{month:02d}.{n + 10000:05d}",
            "title": sentence(int(rng.integers(5, 12)))[:-1],
            "year": year,
            "published": date(year, month, int(rng.integers(1, 29))).isoformat(),
            "primary_category": str(rng.choice(CATEGORIES)),
            "venue": {"name": str(rng.choice(VENUES)), "peer_reviewed": bool(rng.random() < 0.6)},
            "abstract": " ".join(sentence(int(rng.integers(8, 20))) for _ in range(int(rng.integers(3, 7)))),
            "citations": [
                {
                    "cited_id": f"{int(rng.integers(1000, 2300))}.{int(rng.integers(10000, 99999))}",
                    "title": sentence(int(rng.integers(4, 10)))[:-1],
                    "year": int(rng.integers(1995, year + 1)),
                    "is_influential": bool(rng.random() < 0.2),
                }
                for _ in range(int(rng.integers(0, 12)))
            ],
            "summaries": [
                {"source": source, "text": sentence(int(rng.integers(10, 25))), "words": 0}
                for source in rng.choice(["author", "tldr", "reviewer"], int(rng.integers(1, 3)), replace=False)
            ],
        }
        for summary in paper["summaries"]:
            summary["words"] = len(summary["text"].split())
        if rng.random() < 0.05:
            del paper["abstract"]  # some papers come without one
        papers.append(paper)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as handle:
        handle.write("[\n")
        for i, paper in enumerate(papers):
            handle.write(json.dumps(paper, ensure_ascii=False) + (",\n" if i < len(papers) - 1 else "\n"))
        handle.write("]\n")
    return len(papers)


GENERATORS: dict[str, Callable[[Path, int, int], int]] = {
    "credit-risk": credit_risk,
    "motor-temperature": motor_temperature,
    "citesum": citesum,
}
