"""Unit mailboxes (Art. 9, 16): delegates reach the unit's mail with their own login,
send as the unit, and lose access at once when the personnel file hands it over."""
import json
import uuid

import pytest
import yaml

from conftest import QUEUED, WEBMAIL_URL, on_server, run_site, set_password, webmail_login, webmail_wait

UNIT = "stttt-ttcntttt"  # in the personnel file
UNIT_ID = f"unit:{UNIT}"  # in the accounts database
PASSWORD = "DonVi#Thu2026"
PASSWORDS = {}  # address -> password of the people in these tests
DB = "/var/lib/vmail/accounts.sqlite"


@pytest.fixture(scope="module")
def unit(addresses, users):
    """The unit address, its two delegates and a colleague who is not one, with known passwords."""
    rows = json.loads(on_server(
        f"sqlite3 -json {DB} \"SELECT d.address FROM delegates d WHERE d.unit_id = '{UNIT_ID}'"
        " ORDER BY d.address\"").stdout)
    delegates = [r["address"] for r in rows]
    assert len(delegates) == 2, delegates
    outsider, outsider_password = users["thu"]
    assert outsider not in delegates
    for person in delegates:
        set_password(person, PASSWORD)
    PASSWORDS.update({person: PASSWORD for person in delegates}, **{outsider: outsider_password})
    return {"address": addresses[UNIT_ID], "delegates": delegates, "outsider": outsider}


def _send_to_unit(client, unit_address, token):
    sent = client(f'''
    msg = new_message()
    msg["From"] = "Công dân <congdan@example.net>"
    msg["To"] = "{unit_address}"
    msg["Subject"] = "Đề nghị gửi đơn vị {token}"
    msg.set_content("Kính gửi Trung tâm.")
    out(send(msg, 25))
    ''')
    assert sent == QUEUED, sent


def _read_unit_inbox(client, person, unit_address, token):
    """What `person` sees when selecting the unit's INBOX: the matching subjects, or the refusal."""
    return client(f'''
    import time
    from email.header import decode_header, make_header
    box = '"Shared/{unit_address}/INBOX"'
    with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
        m.login("{person}", "{PASSWORDS[person]}")
        typ, data = m.select(box)
        if typ != "OK":
            out({{"refused": data[0].decode()}})
            sys.exit(0)
        ids = []
        for _ in range(30):
            m.noop()
            ids = m.search(None, "SUBJECT", "{token}")[1][0].split()
            if ids:
                break
            time.sleep(1)
        subjects = [str(make_header(decode_header(
            m.fetch(i, "(BODY.PEEK[HEADER.FIELDS (SUBJECT)])")[1][0][1].decode().split(":", 1)[1].strip())))
            for i in ids]
    out({{"subjects": subjects}})
    ''')


def _send_as_unit(client, person, unit_address, to, token):
    return client(f'''
    msg = new_message()
    msg["From"] = "Trung tâm CNTT&TT <{unit_address}>"
    msg["To"] = "{to}"
    msg["Subject"] = "Trả lời từ đơn vị {token}"
    msg.set_content("Trung tâm trả lời.")
    out(send(msg, 587, login="{person}", password="{PASSWORDS[person]}"))
    ''')


def test_delegate_reads_unit_mailbox_and_outsider_cannot(client, unit):
    token = uuid.uuid4().hex
    _send_to_unit(client, unit["address"], token)
    for delegate in unit["delegates"]:
        seen = _read_unit_inbox(client, delegate, unit["address"], token)
        assert seen == {"subjects": [f"Đề nghị gửi đơn vị {token}"]}, (delegate, seen)
    refused = _read_unit_inbox(client, unit["outsider"], unit["address"], token)
    assert "refused" in refused, refused


def test_unit_mail_stays_original(client, unit):
    """Art. 16.3: the message in the unit mailbox is the one received (headers untouched)."""
    token = uuid.uuid4().hex
    _send_to_unit(client, unit["address"], token)
    delegate = unit["delegates"][0]
    raw = client(f'''
    import time
    with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
        m.login("{delegate}", "{PASSWORD}")
        m.select('"Shared/{unit["address"]}/INBOX"', readonly=True)
        for _ in range(30):
            ids = m.search(None, "SUBJECT", "{token}")[1][0].split()
            if ids:
                break
            time.sleep(1)
        out(m.fetch(ids[0], "(BODY.PEEK[HEADER])")[1][0][1].decode())
    ''')
    assert "From: =?utf-8?" in raw and "congdan@example.net" in raw
    assert f"To: {unit['address']}" in raw


def test_delegate_sends_as_unit_outsider_cannot(client, unit):
    token = uuid.uuid4().hex
    ok = _send_as_unit(client, unit["delegates"][0], unit["address"], unit["outsider"], token)
    assert ok == QUEUED, ok
    refused = _send_as_unit(client, unit["outsider"], unit["address"], unit["delegates"][0], token)
    assert refused["code"] == 553, refused


def _acl_attempts(client, person, box, grantee):
    """`person` logs in and tries to administer the ACL of `box`: MYRIGHTS, then SETACL
    giving `grantee` every right, then DELETEACL of the owner entry."""
    return client(f'''
    with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
        m.login("{person}", "{PASSWORDS[person]}")
        typ, data = m.myrights('{box}')
        rights = data[0].decode().rsplit(" ", 1)[-1] if typ == "OK" else None
        setacl = m.setacl('{box}', "{grantee}", "lrswipkxtea")
        deleteacl = m.deleteacl('{box}', "owner")
    out({{"rights": rights, "setacl": setacl[0], "deleteacl": deleteacl[0]}})
    ''')


def _webmail_identities(driver):
    """The addresses the logged-in user's identities list shows, as Roundcube's settings show them."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    driver.get(WEBMAIL_URL + "?_task=settings&_action=identities")
    webmail_wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#identities-table tbody tr")))
    rows = driver.find_elements(By.CSS_SELECTOR, "#identities-table tbody tr")
    return sorted({part.split(">")[0].lower() for row in rows for part in row.text.split("<")[1:]})


def test_webmail_offers_only_own_and_delegated_addresses(client, unit, new_browser, screenshot):
    """Roundcube's identities are the login's own address plus the units it is a delegate of:
    an address cannot be typed (new identities get the own address), and sending from the
    unit identity in webmail reaches the colleague with the unit as From."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import Select
    delegate, outsider = unit["delegates"][0], unit["outsider"]
    driver = new_browser()
    webmail_login(driver, delegate, PASSWORDS[delegate])
    assert _webmail_identities(driver) == sorted([delegate, unit["address"]])
    driver.get(WEBMAIL_URL + "?_task=settings&_action=add-identity&_framed=1")
    email = webmail_wait(driver).until(EC.presence_of_element_located((By.NAME, "_email")))
    screenshot(driver, "unit-identity-add")
    assert not email.is_enabled() or email.get_attribute("readonly"), "the address can be typed"

    token = uuid.uuid4().hex
    driver.get(WEBMAIL_URL + "?_task=mail&_action=compose")
    sender = Select(webmail_wait(driver).until(EC.presence_of_element_located((By.ID, "_from"))))
    assert sorted(o.text.split("<")[-1].rstrip(">").lower() for o in sender.options) == \
        sorted([delegate, unit["address"]])
    sender.select_by_visible_text(next(o.text for o in sender.options if unit["address"] in o.text.lower()))
    to = webmail_wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#compose_to .recipient-input input")))
    to.send_keys(outsider + ",")
    driver.find_element(By.ID, "compose-subject").send_keys(f"Đơn vị gửi từ webmail {token}")
    driver.find_element(By.ID, "composebody").send_keys("Trung tâm trả lời qua webmail.")
    driver.find_element(By.CSS_SELECTOR, "button.send, a.send").click()
    webmail_wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#messagestack div.confirmation")))
    screenshot(driver, "unit-identity-sent")
    received = client(f'''
    import time
    from email import policy
    from email.parser import BytesParser
    found = []
    for _ in range(30):
        with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
            m.login("{outsider}", "{PASSWORDS[outsider]}")
            m.select("INBOX", readonly=True)
            ids = m.search(None, "SUBJECT", "{token}")[1][0].split()
            found = [str(BytesParser(policy=policy.default).parsebytes(m.fetch(i, "(RFC822)")[1][0][1])["From"])
                     for i in ids]
        if found:
            break
        time.sleep(1)
    out(found)
    ''')
    assert len(received) == 1 and unit["address"] in received[0].lower(), received

    other = new_browser()
    webmail_login(other, outsider, PASSWORDS[outsider])
    assert _webmail_identities(other) == [outsider]


def test_owner_cannot_share_personal_mailbox(client, unit):
    """Art. 11.1: nobody lets another use their mailbox. The owner's SETACL/DELETEACL on
    their own INBOX are refused, and the colleague still cannot open it."""
    owner, colleague = unit["outsider"], unit["delegates"][0]
    tried = _acl_attempts(client, owner, "INBOX", colleague)
    assert tried["setacl"] == "NO" and tried["deleteacl"] == "NO", tried
    assert tried["rights"] and "a" not in tried["rights"] and "l" in tried["rights"], tried
    opened = client(f'''
    with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
        m.login("{colleague}", "{PASSWORDS[colleague]}")
        out(m.select('"Shared/{owner}/INBOX"', readonly=True)[0])
    ''')
    assert opened == "NO", opened


def test_delegate_cannot_share_unit_mailbox_further(client, unit):
    """A delegate's rights on the unit come from the personnel file only: no "a", so
    SETACL for someone else is refused and the outsider still cannot open it."""
    delegate, box = unit["delegates"][0], f'"Shared/{unit["address"]}/INBOX"'
    tried = _acl_attempts(client, delegate, box, unit["outsider"])
    assert tried["setacl"] == "NO" and tried["deleteacl"] == "NO", tried
    assert tried["rights"] and "a" not in tried["rights"] and "r" in tried["rights"], tried
    assert "refused" in _read_unit_inbox(client, unit["outsider"], unit["address"], "none")


def test_handover_removes_access_at_once_including_open_session(client, unit, tmp_path, lab_personnel):
    """Art. 9.2: the personnel file drops a delegate; one site.yml run later their open IMAP
    session is gone, a new login cannot open the unit, the remaining delegate still can,
    and the unit's mail is where it was."""
    leaving, staying = unit["delegates"]
    token = uuid.uuid4().hex
    _send_to_unit(client, unit["address"], token)
    count_before = on_server(f"doveadm mailbox status -u {unit['address']} messages INBOX").stdout

    # The leaving delegate has the unit INBOX open in a session that outlives the run.
    session = client.background(f'''
    import time
    m = imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context())
    m.login("{leaving}", "{PASSWORDS[leaving]}")
    assert m.select('"Shared/{unit["address"]}/INBOX"')[0] == "OK"
    print("READY", flush=True)
    state, error = "still open", ""
    try:
        for _ in range(1200):
            m.noop()
            m.search(None, "ALL")
            time.sleep(0.5)
    except (imaplib.IMAP4.abort, OSError, ssl.SSLError) as e:
        state, error = "closed", str(e)
    out({{"session": state, "error": error}})
    ''')
    session.wait_for("READY")

    leaving_id = json.loads(on_server(
        f"sqlite3 -json {DB} \"SELECT id FROM accounts WHERE address = '{leaving}'\"").stdout)[0]["id"]
    personnel = yaml.safe_load(lab_personnel.read_text())
    for entry in personnel["units"]:
        if entry["id"] == UNIT:
            entry["delegates"] = [d for d in entry["delegates"] if d != leaving_id]
    handed_over = tmp_path / "personnel.yml"
    handed_over.write_text(yaml.safe_dump(personnel, allow_unicode=True))
    try:
        run = run_site(tmp_path, ["accounts", "mail_accounts:sync", "dovecot:units"], personnel=handed_over)
        assert run.returncode == 0, run.stdout + run.stderr
        assert session.result(timeout=120)["session"] == "closed"
        refused = _read_unit_inbox(client, leaving, unit["address"], token)
        assert "refused" in refused, refused
        assert _read_unit_inbox(client, staying, unit["address"], token) == {
            "subjects": [f"Đề nghị gửi đơn vị {token}"]}
        assert on_server(f"doveadm mailbox status -u {unit['address']} messages INBOX").stdout == count_before
        refused_send = _send_as_unit(client, leaving, unit["address"], staying, token)
        assert refused_send["code"] == 553, refused_send
    finally:
        restored = run_site(tmp_path, ["accounts", "mail_accounts:sync", "dovecot:units"])
        assert restored.returncode == 0, restored.stdout + restored.stderr
    assert _read_unit_inbox(client, leaving, unit["address"], token) == {
        "subjects": [f"Đề nghị gửi đơn vị {token}"]}
