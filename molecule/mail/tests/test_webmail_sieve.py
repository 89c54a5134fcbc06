"""Out-of-office and filters in webmail (issue 21, item 2), in the real browser.

An official sets an out-of-office reply in Roundcube's settings (managesieve plugin,
Vietnamese), a colleague writes twice, exactly one reply comes back. Then the official
saves a script that does not compile in the raw editor: the server's error is shown on the
page and the out-of-office script stays active. Accounts: people no other test touches
(test_sieve.untouched_person). Screenshots: reports/screenshots/webmail/sieve-*.png.
"""
import time
import uuid

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

from conftest import QUEUED, WEBMAIL_URL as URL, webmail_login as login, webmail_wait as wait
from test_sieve import ACCOUNT_PASSWORD, sieve_session, untouched_person

BROKEN = 'require ["fileinto"];\nif header :contains "subject" {\n  fileinto;\n}\n'


def _count(client, user, token, at_least, seconds=60):
    """Messages in `user`'s INBOX whose subject holds `token`, once there are `at_least`
    (or after `seconds`)."""
    return client(f'''
        import time
        for _ in range({seconds}):
            with imaplib.IMAP4_SSL(HOST, 993, ssl_context=tls_context()) as m:
                m.login({user!r}, {ACCOUNT_PASSWORD!r})
                m.select("INBOX")
                found = m.search(None, "SUBJECT", {token!r})[1][0].split()
            if len(found) >= {at_least}:
                break
            time.sleep(1)
        out(len(found))
    ''')


def test_vacation_set_in_webmail_answers_once_and_a_broken_script_is_refused(new_browser, client, screenshot):
    owner, colleague = untouched_person(6), untouched_person(7)
    token = uuid.uuid4().hex[:8]
    driver = new_browser()
    login(driver, owner, ACCOUNT_PASSWORD)

    # Settings > Out of office, as the official clicks it.
    driver.get(URL + "?_task=settings&_action=plugin.managesieve-vacation")
    subject = wait(driver).until(EC.visibility_of_element_located((By.ID, "vacation_subject")))
    subject.clear()
    subject.send_keys(f"Vắng mặt đến hết tuần {token}")
    reason = driver.find_element(By.ID, "vacation_reason")
    reason.clear()
    reason.send_keys("Tôi đi công tác đến hết tuần. Việc gấp xin liên hệ văn phòng sở.")
    Select(driver.find_element(By.ID, "vacation_status")).select_by_value("on")
    driver.find_element(By.CSS_SELECTOR, ".formbuttons .submit").click()
    saved = wait(driver, 60).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, "#messagestack div.confirmation"))).text
    screenshot(driver, "sieve-vacation-saved")
    assert saved.strip(), "no confirmation after saving the out-of-office reply"

    # A colleague writes twice: the first gets the reply, the second does not.
    for n in (1, 2):
        sent = client(f'''
            msg = new_message()
            msg["From"] = {colleague!r}
            msg["To"] = {owner!r}
            msg["Subject"] = "Lịch họp giao ban {n} {token}"
            msg.set_content("Anh xem lịch họp giao ban tuần sau.")
            out(send(msg, 587, login={colleague!r}, password={ACCOUNT_PASSWORD!r},
                     sender={colleague!r}, recipients=[{owner!r}]))
        ''')
        assert sent == QUEUED, sent
    assert _count(client, owner, token, 2) == 2
    assert _count(client, colleague, token, 1) == 1
    time.sleep(3)  # a second reply, if the server sent one, has arrived by now
    assert _count(client, colleague, token, 2, seconds=1) == 1

    # The raw editor of the same filter set: a script that does not compile.
    driver.get(URL + "?_task=settings&_action=plugin.managesieve-action&_framed=1&_seteditraw=1&_set=roundcube")
    wait(driver).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror")))
    # The page's scripts have started (the save command is enabled), as before a user's click.
    wait(driver).until(lambda d: d.execute_script(
        "return !!(window.rcmail && rcmail.commands['plugin.managesieve-save'])"))
    driver.execute_script("document.querySelector('.CodeMirror').CodeMirror.setValue(arguments[0]);", BROKEN)
    driver.find_element(By.CSS_SELECTOR, ".formbuttons .submit").click()
    shown = wait(driver, 60).until(EC.visibility_of_element_located(
        (By.CSS_SELECTOR, ".vmail-sieve-errors"))).text
    screenshot(driver, "sieve-raw-error")
    # The server's own message (Pigeonhole names the command and what it lacks), in Vietnamese words.
    assert "Máy chủ từ chối bộ lọc, dòng 3" in shown, shown
    assert "fileinto" in shown, shown

    # Over ManageSieve: the out-of-office script is still the active one, unchanged.
    kept = sieve_session(client, owner, 'out({"active": s.active(), "script": s.get("roundcube")})')
    assert kept["active"] == ["roundcube"], kept
    assert token in kept["script"] and "vacation" in kept["script"], kept
