"""Finding 9: DEBUG is on only when asked for, and demo data (with its published passwords) never lands
in a real database.

`manage.py` used to switch DEBUG on whenever SECRET_KEY was missing from the environment, even with
DEBUG=false in .env; `load_demo` on such a host then created `admin` / `admin-demo-2026`.
"""

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from accounts.models import User
from creditexchange.models import TemporaryIdApplication
from tests.factories import UserFactory
from ustportal.management.commands.load_demo import demo_data_blockers

BASE_DIR = Path(settings.BASE_DIR)
PRINT_DEBUG = "from django.conf import settings; print('DEBUG', settings.DEBUG)"


def _manage(tmp_path, env_file: str, *args: str, **env: str) -> subprocess.CompletedProcess:
    dotenv = tmp_path / ".env"
    dotenv.write_text(env_file)
    clean = {key: value for key, value in os.environ.items() if key not in ("SECRET_KEY", "DEBUG")}
    clean.update(ENV_FILE=str(dotenv), DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}", **env)
    return subprocess.run(  # noqa: S603 - our own manage.py with a fixed argument list
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=clean, capture_output=True, text=True, timeout=120
    )


def test_it_does_not_turn_debug_on_when_the_secret_key_is_missing(tmp_path):
    result = _manage(tmp_path, "DEBUG=false\n", "shell", "-c", PRINT_DEBUG)

    assert "DEBUG True" not in result.stdout
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr and "DEBUG" in result.stderr
    assert "Traceback" not in result.stderr  # a clear message, not a stack


def test_it_refuses_a_missing_secret_key_even_without_any_debug_setting(tmp_path):
    result = _manage(tmp_path, "", "shell", "-c", PRINT_DEBUG)

    assert result.returncode != 0 and "SECRET_KEY" in result.stderr


def test_it_refuses_the_placeholder_secret_key_of_env_example(tmp_path):
    result = _manage(tmp_path, "DEBUG=false\nSECRET_KEY=change-me\n", "shell", "-c", PRINT_DEBUG)

    assert result.returncode != 0 and "placeholder" in result.stderr


@pytest.mark.parametrize("command", [["makemigrations", "--check", "--dry-run"], ["showmigrations", "accounts"]])
def test_offline_commands_run_without_a_secret_key_and_with_debug_off(tmp_path, command):
    # Commands that read the code and sign nothing work in a fresh checkout without DEBUG being switched on.
    result = _manage(tmp_path, "", *command)

    assert result.returncode == 0, result.stderr
    assert "SECRET_KEY" not in result.stderr


def test_debug_is_off_with_a_secret_key_and_no_debug_setting(tmp_path):
    result = _manage(tmp_path, "SECRET_KEY=a-deployment-secret-of-some-length\n", "shell", "-c", PRINT_DEBUG)

    assert result.returncode == 0, result.stderr
    assert "DEBUG False" in result.stdout


def test_debug_is_on_when_asked_for_and_then_needs_no_secret_key(tmp_path):
    result = _manage(tmp_path, "", "shell", "-c", PRINT_DEBUG, DEBUG="true")

    assert result.returncode == 0, result.stderr
    assert "DEBUG True" in result.stdout


def test_the_environment_wins_over_the_env_file(tmp_path):
    result = _manage(tmp_path, "DEBUG=true\n", "shell", "-c", PRINT_DEBUG, DEBUG="false", SECRET_KEY="s" * 50)

    assert result.returncode == 0, result.stderr
    assert "DEBUG False" in result.stdout


# --- load_demo -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_demo_refuses_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("load_demo")

    assert not User.objects.filter(username="admin").exists()


@pytest.mark.django_db
def test_load_demo_has_no_way_round_debug_any_more(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError):
        call_command("load_demo", "--allow-without-debug")

    assert not User.objects.exists()


@pytest.mark.django_db
def test_load_demo_loads_into_an_empty_database_and_again_over_its_own_data(settings):
    settings.DEBUG = True

    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    assert User.objects.filter(username="admin", is_superuser=True).exists()
    assert demo_data_blockers() == []

    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115 - idempotent on demo data
    assert User.objects.filter(username="admin").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("email", ["registrar@ust.ac.kr", ""])
def test_load_demo_refuses_a_database_with_a_real_user(settings, email):
    settings.DEBUG = True
    UserFactory(username="kim", email=email)

    with pytest.raises(CommandError, match="non-demo data"):
        call_command("load_demo")

    assert list(User.objects.values_list("username", flat=True)) == ["kim"]


@pytest.mark.django_db
def test_load_demo_refuses_a_database_with_a_real_application(settings, partner, open_term):
    settings.DEBUG = True
    TemporaryIdApplication.objects.create(
        term=open_term, partner=partner, home_student_number="20249999", name_latin="PARK SEO", date_of_birth=date(2004, 1, 1),
        email="seo.park@hanbit.ac.kr", phone="010-1111-2222", home_department="CS", degree_level="bachelor",
        consent_at=timezone.now(),
    )

    with pytest.raises(CommandError, match="non-demo data"):
        call_command("load_demo")

    assert not User.objects.exists()


@pytest.mark.django_db
def test_load_demo_refuses_once_a_real_user_joined_the_demo_data(settings):
    settings.DEBUG = True
    call_command("load_demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    UserFactory(username="new-officer", email="officer@ust.ac.kr", is_staff=True)

    with pytest.raises(CommandError, match="new-officer"):
        call_command("load_demo")
