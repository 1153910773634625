"""``manage.py rbs_drain``: a process takes no new sessions, then takes them again."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from sessions.leases import Lease
from sessions.models import ServerProcess

pytestmark = pytest.mark.django_db


def test_drain_and_resume_a_running_process_by_name() -> None:
    web1 = Lease("web1", "m1", 4, 10).register("c1")
    web2 = Lease("web2", "m1", 4, 10).register("c2")
    out = StringIO()
    call_command("rbs_drain", "web1", stdout=out)
    assert "web1: draining; 0 of its sessions still running." in out.getvalue()
    drained = dict(ServerProcess.objects.values_list("pk", "draining"))
    assert drained == {web1.pk: True, web2.pk: False}
    call_command("rbs_drain", "web1", "--resume", stdout=out)
    assert not ServerProcess.objects.get(pk=web1.pk).draining


def test_a_name_that_runs_nowhere_is_an_error() -> None:
    with pytest.raises(CommandError, match="No running server process is named 'web9'"):
        call_command("rbs_drain", "web9")
