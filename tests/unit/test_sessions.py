"""vmail.sessions: which processes still serve an account after `doveadm kick`."""
from __future__ import annotations

from vmail import sessions

WHO = ("username\tservice\tpid\tip\tdest_ip\n"
       "nguyenthidung@tiengiang.gov.vn\timap\t10142\t10.89.87.20\t\n"
       "nguyenthidung@tiengiang.gov.vn\timap\t10150\t10.89.87.20\t\n"
       "leminhhieu@tiengiang.gov.vn\timap\t11924\t127.0.0.1\t\n")


def test_only_the_accounts_own_processes():
    assert sessions.session_pids(WHO, "nguyenthidung@tiengiang.gov.vn") == [10142, 10150]
    assert sessions.session_pids(WHO, "leminhhieu@tiengiang.gov.vn") == [11924]


def test_no_session_and_unknown_output_end_nothing():
    assert sessions.session_pids("username\tservice\tpid\tip\tdest_ip\n", "a@tiengiang.gov.vn") == []
    assert sessions.session_pids("", "a@tiengiang.gov.vn") == []
    assert sessions.session_pids("Error: anvil not running\n", "a@tiengiang.gov.vn") == []
