"""Webmail on its own host, through both tiers, in a real browser (issue 9).

A newcomer logs in on the webmail host with the initial password from the
unit's vault file: the check and the password change run on the accounts host
over SSH (roles/roundcube/tasks/remote.yml), IMAP goes to the mail store,
submission to the MX. The new password then works on the store directly, and
a colleague reads the message the newcomer wrote, over IMAP on the store.
"""
import json
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

from conftest import STORE, STORE_NAME, WEB, mail, on
from test_multi import find, imap_login

URL = f"https://{mail.MAILHOST}/"
NEW_PASSWORD = "Phuc#Moi2026multi"
SUBJECT = f"Thư từ webmail qua hai máy chủ {uuid.uuid4().hex[:6]}"
# A newcomer of the test unit (this scenario's own containers: the mail
# scenario's webmail test uses the same person on its own host).
NEWCOMER_ID = "0175"


def wait(driver, seconds=120):
    return WebDriverWait(driver, seconds, poll_frequency=0.2)


@pytest.fixture(scope="module")
def newcomer(initial_accounts):
    account = initial_accounts.get(NEWCOMER_ID)
    assert account, f"{NEWCOMER_ID} is not in the unit's vault file"
    return account


def test_webmail_host_holds_no_accounts_database():
    """The webmail reaches the accounts only through the confined SSH command."""
    assert on(WEB, "test -e /var/lib/vmail/accounts.sqlite", check=False).returncode != 0
    key = on(STORE, "grep vmail-webmail /root/.ssh/authorized_keys").stdout
    assert 'command="/usr/local/sbin/vmail-webmail-remote"' in key and "restrict" in key, key
    # The key runs the dispatcher, nothing else.
    refused = on(WEB, "ssh -i /root/.ssh/vmail-webmail-accounts -o BatchMode=yes "
                      "-o UserKnownHostsFile=/root/.ssh/known_hosts.vmail-webmail "
                      f"root@{STORE_NAME} cat /etc/shadow", check=False)
    assert refused.returncode != 0 and "root:" not in refused.stdout


def test_newcomer_changes_the_initial_password_in_webmail(new_browser, newcomer, client):
    address = newcomer["address"]
    assert imap_login(client, address, newcomer["password"]) != "OK"
    driver = new_browser()
    driver.get(URL)
    wait(driver).until(EC.presence_of_element_located((By.ID, "rcmloginuser"))).send_keys(address)
    driver.find_element(By.ID, "rcmloginpwd").send_keys(newcomer["password"])
    driver.find_element(By.ID, "rcmloginsubmit").click()
    wait(driver).until(EC.visibility_of_element_located((By.ID, "vmail-force-password")))
    for field, value in (("curpasswd", newcomer["password"]), ("newpasswd", NEW_PASSWORD),
                         ("confpasswd", NEW_PASSWORD)):
        wait(driver).until(EC.presence_of_element_located((By.ID, field))).send_keys(value)
    driver.find_element(By.CSS_SELECTOR, ".formbuttons .submit, .formbuttons button.mainaction").click()
    wait(driver).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#messagestack div.confirmation")))
    # Written on the accounts host, published to PostgreSQL, read by the store.
    assert on(STORE, f"/usr/local/sbin/vmail-webmail-initial {address}").stdout.strip() == "0"
    assert imap_login(client, address, NEW_PASSWORD) == "OK"
    pytest.newcomer_browser = driver


def sent_or_refused(driver):
    """"sent" once the compose screen is left, the error text while one is shown, else False."""
    for message in driver.find_elements(By.CSS_SELECTOR, "#messagestack div.error, #messagestack div.warning"):
        if message.is_displayed():
            return f"refused: {message.text}"
    if "_action=compose" not in driver.current_url:
        return "sent"
    confirmations = driver.find_elements(By.CSS_SELECTOR, "#messagestack div.confirmation")
    return "sent" if any(c.is_displayed() for c in confirmations) else False


def test_newcomer_writes_to_a_colleague_who_reads_it_on_the_store(users, client):
    driver = getattr(pytest, "newcomer_browser", None)
    assert driver is not None, "the password change above did not leave a session"
    thu, thu_password = users["thu"]
    driver.get(URL + "?_task=mail&_action=compose")
    to = wait(driver).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#compose_to .recipient-input input")))
    to.send_keys(thu + ",")
    driver.find_element(By.ID, "compose-subject").send_keys(SUBJECT)
    driver.find_element(By.ID, "composebody").send_keys("Kính gửi anh Thử,\nThư gửi từ webmail.")
    driver.find_element(By.CSS_SELECTOR, "button.send, a.send").click()
    # Sent: Roundcube leaves the compose screen for the message list (its confirmation is
    # shown for two seconds only, and a starved browser can miss it). Refused: its error
    # stays on the compose screen, and is what the test then says.
    assert wait(driver).until(sent_or_refused) == "sent"
    got = find(client, host=STORE_NAME, user=thu, password=thu_password, subject=SUBJECT)
    assert got["count"] == 1, json.dumps(got)
    # Submitted by the webmail host to the MX, delivered to the store.
    assert "mx1.tiengiang.gov.vn (Postfix)" in got["header"], got["header"]
