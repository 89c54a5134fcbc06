"""Directory and yearly report, end to end (Art. 12.5, 12.6, 12.8, 14.3, 15.3, 15.5).

* The directory page served over HTTPS by the webmail host, fetched from the client container,
  lists exactly the active people (names with diacritics) and every unit mailbox; CSV and
  vCard downloads agree.
* Known messages and logins made from the client are counted by the daily counter job
  (vmail-stats collect) exactly, and playbooks/report.yml run against this server writes CSVs
  whose numbers moved by exactly what the test did.
* The report counts up to the moment it runs (issue 21 item 5): a GTUBE refusal, an EICAR
  refusal and a submission move its spam, virus and sent figures by one each, with no
  counter job run by hand.
"""
import csv
import io
import json
import subprocess
import tempfile
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import EICAR, GTUBE, SERVER, UNIT, on_server

REPO = Path(__file__).resolve().parents[3]
PERSONNEL = yaml.safe_load((REPO / "inventories/lab/personnel.yml").read_text(encoding="utf-8"))
MESSAGES = 3
LOGINS = 2


def _fetch(client, path):
    """GET https://<mailhost><path> from the client container, verifying TLS against the lab CA."""
    return client(f'''
    import http.client
    conn = http.client.HTTPSConnection(HOST, 443, context=tls_context(), timeout=60)
    conn.request("GET", {path!r})
    resp = conn.getresponse()
    body = resp.read()
    out({{"status": resp.status, "type": resp.getheader("Content-Type"), "body": body.decode("utf-8")}})
    ''')


class _Rows(HTMLParser):
    """Each directory table row: (its class, person or unit; its cells' text)."""

    def __init__(self):
        super().__init__()
        self.rows, self.cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr" and dict(attrs).get("data-s") is not None:
            self.rows.append((dict(attrs).get("class"), []))
        elif tag == "td" and self.rows:
            self.cell = []

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag):
        if tag == "td" and self.cell is not None:
            self.rows[-1][1].append("".join(self.cell))
            self.cell = None


@pytest.fixture(scope="module")
def expected(addresses):
    """From the personnel file itself: (name, address) of every active person; unit addresses."""
    people = {(p["full_name"], addresses[p["id"]]) for p in PERSONNEL["people"] if p["status"] == "active"}
    units = {addresses["unit:" + u["id"]] for u in PERSONNEL["units"]}
    hidden = {addresses[p["id"]] for p in PERSONNEL["people"] if p["status"] != "active"}
    return people, units, hidden


def test_directory_page_lists_exactly_active_people_and_units(client, expected):
    people, units, hidden = expected
    page = _fetch(client, "/danh-ba/")
    assert page["status"] == 200 and page["type"].startswith("text/html"), page["type"]
    parser = _Rows()
    parser.feed(page["body"])
    person_rows = {(cells[0], cells[3]) for kind, cells in parser.rows if kind == "person"}
    unit_rows = {cells[3] for kind, cells in parser.rows if kind == "unit"}
    assert person_rows == people
    assert unit_rows == units
    assert len(parser.rows) == len(people) + len(units)
    assert not hidden & {cells[3] for _kind, cells in parser.rows}
    assert ("Nguyễn Văn Thử", next(a for n, a in people if n == "Nguyễn Văn Thử")) in person_rows
    script = _fetch(client, "/danh-ba/danh-ba.js")
    assert script["status"] == 200 and "normalize(\"NFD\")" in script["body"]


def test_directory_downloads(client, expected, addresses):
    people, units, hidden = expected
    data = _fetch(client, "/danh-ba/danh-ba.csv")
    assert data["status"] == 200 and data["type"].startswith("text/csv")
    assert data["body"].startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(data["body"][1:], newline="")))
    assert {(r[1], r[4]) for r in rows[1:] if r[0] == "Cá nhân"} == people
    assert {r[4] for r in rows[1:] if r[0] == "Hộp thư đơn vị"} == units
    vcard = _fetch(client, "/danh-ba/don-vi/stttt-ttcntttt-v4.vcf")
    assert vcard["status"] == 200 and vcard["type"].startswith("text/vcard")
    unfolded = vcard["body"].replace("\r\n ", "")
    assert "FN:Nguyễn Văn Thử\r\n" in unfolded and "FN:Trần Thị Kiểm\r\n" in unfolded
    assert addresses["9003"] not in unfolded, "a suspended person is not listed"
    assert unfolded.count("BEGIN:VCARD") == len(
        [p for p in PERSONNEL["people"] if p["unit"] == "stttt-ttcntttt" and p["status"] == "active"]) + 1


# --------------------------------------------------------------------------------------------
# Counters and report


def _export():
    """{(address, metric): total of the year} and {address: [used, limit]} from the server's counters."""
    on_server("/usr/local/sbin/vmail-stats collect")
    year = on_server("date +%Y").stdout.strip()
    data = json.loads(on_server(f"/usr/local/sbin/vmail-stats export --year {year}").stdout)
    totals = {}
    for _month, address, metric, value in data["counters"]:
        totals[(address, metric)] = totals.get((address, metric), 0) + value
    return totals


def _report(year, out):
    """Run playbooks/report.yml against this server; {(file, code): row as a dict}."""
    inventory = Path(out) / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"all": {
        "vars": {"ansible_connection": "containers.podman.podman"},
        "children": {"mx": {"hosts": {"mail": {"ansible_host": SERVER}}},
                     "mailstore": {"hosts": {"mail": None}}, "accountsdb": {"hosts": {"mail": None}}}}}))
    proc = subprocess.run(["ansible-playbook", "-i", str(inventory), "playbooks/report.yml", "-e", f"year={year}",
                           "-e", f"vmail_report_dir={out}/report"], cwd=REPO, capture_output=True, text=True,
                          check=False, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = {}
    for path in [Path(out, "report", "toan-tinh.csv"), *Path(out, "report", "don-vi").glob("*.csv")]:
        text = path.read_text(encoding="utf-8")
        assert text.startswith("\ufeff")
        reader = csv.DictReader(io.StringIO(text[1:], newline=""))
        for row in reader:
            rows[(path.name, row["Mã"])] = row
    html = Path(out, "report", "bao-cao.html").read_text(encoding="utf-8")
    assert "<svg" in html and "Báo cáo tình hình quản lý, sử dụng hệ thống thư điện tử công vụ tỉnh" in html
    return rows


@pytest.fixture(scope="module")
def activity(client, users):
    """Counters and report before and after: kiem sends MESSAGES to thu and logs in LOGINS times."""
    kiem, kiem_password = users["kiem"]
    thu, _ = users["thu"]
    year = on_server("date +%Y").stdout.strip()
    with tempfile.TemporaryDirectory() as before_dir, tempfile.TemporaryDirectory() as after_dir:
        counters_before = _export()
        report_before = _report(year, before_dir)
        token = uuid.uuid4().hex
        client(f'''
        from email.message import EmailMessage
        for i in range({MESSAGES}):
            msg = EmailMessage()
            msg["From"] = "{kiem}"
            msg["To"] = "{thu}"
            msg["Subject"] = "Báo cáo thử {token} " + str(i)
            msg.set_content("Thư đếm cho báo cáo năm.")
            with smtplib.SMTP(HOST, 587, timeout=60) as s:
                s.starttls(context=tls_context())
                s.login("{kiem}", "{kiem_password}")
                s.send_message(msg)
        for i in range({LOGINS}):
            with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
                m.login("{kiem}", "{kiem_password}")
        out(True)
        ''')
        # Delivery is asynchronous: count again until the messages are in (or give up after a minute).
        for _ in range(30):
            counters_after = _export()
            if counters_after.get((thu, "received"), 0) - counters_before.get((thu, "received"), 0) >= MESSAGES:
                break
            time.sleep(2)
        quota = on_server(f"doveadm -f tab quota get -u {thu}").stdout
        report_after = _report(year, after_dir)
    header = quota.splitlines()[0].split("\t")
    storage = next(dict(zip(header, line.split("\t"))) for line in quota.splitlines()[1:] if "\tSTORAGE\t" in line)
    used = int(storage["Value"]) * 1024  # KiB
    return {"kiem": kiem, "thu": thu, "counters": (counters_before, counters_after),
            "report": (report_before, report_after), "thu_used": used}


def _delta(pair, key):
    before, after = pair
    return after.get(key, 0) - before.get(key, 0)


def test_counter_job_counts_the_known_messages_and_logins(activity):
    counters = activity["counters"]
    assert _delta(counters, (activity["kiem"], "sent")) == MESSAGES
    assert _delta(counters, (activity["thu"], "received")) == MESSAGES
    assert _delta(counters, (activity["kiem"], "logins_imap")) == LOGINS


def _number(pair, file, code, column):
    before, after = pair
    return int(after[(file, code)][column]) - int(before.get((file, code), {column: 0})[column])


def test_report_csv_numbers_move_by_what_the_test_did(activity):
    report, kiem, thu = activity["report"], activity["kiem"], activity["thu"]
    unit_file = "stttt-ttcntttt.csv"
    assert _number(report, unit_file, kiem, "Thư gửi") == MESSAGES
    assert _number(report, unit_file, kiem, "Lượt đăng nhập") == LOGINS
    assert _number(report, unit_file, thu, "Thư nhận") == MESSAGES
    assert _number(report, unit_file, "Tổng", "Thư gửi") == MESSAGES
    assert _number(report, unit_file, "Tổng", "Thư nhận") == MESSAGES
    assert _number(report, "toan-tinh.csv", "stttt-ttcntttt", "Thư gửi") == MESSAGES
    assert _number(report, "toan-tinh.csv", "Tổng", "Thư gửi") == MESSAGES
    assert _number(report, "toan-tinh.csv", "Tổng", "Thư nhận") == MESSAGES
    after = report[1]
    assert int(after[(unit_file, thu)]["Dung lượng đã dùng (byte)"]) == activity["thu_used"] > 0
    assert after[(unit_file, activity["kiem"])]["Tài khoản không hoạt động"] == "0"


def test_report_province_is_the_sum_of_units(activity):
    after = activity["report"][1]
    units = [row for (file, code), row in after.items() if file == "toan-tinh.csv" and code != "Tổng"]
    total = after[("toan-tinh.csv", "Tổng")]
    for column in ("Tài khoản cuối năm", "Thư gửi", "Thư nhận", "Lượt đăng nhập", "Dung lượng đã dùng (byte)"):
        assert int(total[column]) == sum(int(row[column]) for row in units), column
    people = [p for p in PERSONNEL["people"] if p["status"] != "left"]
    assert int(total["Tài khoản cuối năm"]) == len(people) + len(PERSONNEL["units"])


def test_report_counts_up_to_the_moment_it_runs(client, users):
    kiem, kiem_password = users["kiem"]
    thu, _ = users["thu"]
    year = on_server("date +%Y").stdout.strip()
    with tempfile.TemporaryDirectory() as before_dir, tempfile.TemporaryDirectory() as after_dir:
        before = _report(year, before_dir)
        codes = client(f'''
        codes = []
        for kind in ("gtube", "eicar"):
            msg = new_message()
            msg["From"] = "Người Ngoài <nguoingoai@example.net>"
            msg["To"] = "{thu}"
            msg["Subject"] = "Thư kiểm tra báo cáo " + kind
            if kind == "gtube":
                msg.set_content({GTUBE!r})
            else:
                msg.set_content("Tệp đính kèm.")
                msg.add_attachment({EICAR!r}.encode(), maintype="application", subtype="octet-stream",
                                   filename="eicar.com")
            codes.append(send(msg, 25)["code"])
        msg = new_message()
        msg["From"], msg["To"], msg["Subject"] = "{kiem}", "{thu}", "Thư gửi trong ngày"
        msg.set_content("Báo cáo năm đếm cả hôm nay.")
        codes.append(send(msg, 587, login="{kiem}", password="{kiem_password}")["code"])
        out(codes)
        ''')
        assert codes == [554, 554, 250]
        after = _report(year, after_dir)
    unit_file = f"{UNIT}.csv"
    assert _number((before, after), unit_file, thu, "Thư rác bị chặn") == 1
    assert _number((before, after), unit_file, thu, "Virus bị chặn") == 1
    assert _number((before, after), unit_file, kiem, "Thư gửi") == 1
    assert _number((before, after), "toan-tinh.csv", "Tổng", "Thư rác bị chặn") == 1
    assert _number((before, after), "toan-tinh.csv", "Tổng", "Virus bị chặn") == 1
