"""Webmail in a real browser (headless Chromium + Selenium), Art. 3.1, 7, 8, 9.3, 10.1, 12.5.

The scenario, one step per test, in file order (screenshots under
reports/screenshots/webmail/): Ngô Thanh Phúc (0175) logs in with his initial
password, is forced to the change form, a weak password is refused with the
reasons in Vietnamese, a compliant one is accepted, IMAP works afterwards (and
was refused before), she writes to Nguyễn Văn Thử found by typing "nguyen van",
attaches a file and sends; his webmail shows the Vietnamese subject intact.
"""
import os
import tempfile
import time
import urllib.request
import ssl
import http.client

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from conftest import (MAILHOST, WEBMAIL_URL as URL, on_server, server_release, webmail_login as login,
                      webmail_submit_password as submit_password, webmail_wait as wait)

WEAK = "matkhau"
NEW_PASSWORD = "Phuc#Moi2026x"
SUBJECT = "Báo cáo tháng 11: thử nghiệm hộp thư điện tử công vụ"
STATE = {}


def message_text(driver, kind, seconds=60):
    """Text of the first Roundcube notice of this kind (error, confirmation...)."""
    element = wait(driver, seconds).until(
        EC.visibility_of_element_located((By.CSS_SELECTOR, f"#messagestack div.{kind}")))
    return element.text


@pytest.fixture(scope="module")
def newcomer(initial_accounts):
    """A newcomer still on the initial password from the unit's vault file."""
    return initial_accounts["0175"]


@pytest.fixture(scope="module")
def browser(new_browser):
    return new_browser()


# ---------------------------------------------------------------- transport and hardening

def test_http_redirects_to_https(server_ip):
    conn = http.client.HTTPConnection(server_ip, 80, timeout=30)
    conn.request("GET", "/?_task=mail", headers={"Host": MAILHOST})
    resp = conn.getresponse()
    assert resp.status == 301
    assert resp.getheader("Location") == f"https://{MAILHOST}/?_task=mail"


def test_https_verifies_and_leaks_no_versions(server_ip, tls_context):
    conn = http.client.HTTPSConnection(server_ip, 443, timeout=30, context=tls_context)
    # Verify the certificate for the published name while connecting by address.
    conn.sock = tls_context.wrap_socket(__import__("socket").create_connection((server_ip, 443)),
                                        server_hostname=MAILHOST)
    conn.request("GET", "/", headers={"Host": MAILHOST})
    resp = conn.getresponse()
    body = resp.read().decode()
    assert resp.status == 200
    assert resp.getheader("Server") == "nginx"
    assert resp.getheader("X-Powered-By") is None
    assert "Strict-Transport-Security" in resp.headers
    cookie = resp.getheader("Set-Cookie")
    assert "secure" in cookie and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert 'lang="vi"' in body or "content-language" in {k.lower() for k in resp.headers}
    # Roundcube's CSRF token is in every form.
    assert 'name="_token"' in body


def test_php_and_fail2ban_settings():
    php_fpm = f"php-fpm{server_release()['php_version']}"
    ini = on_server(f"{php_fpm} -i 2>/dev/null | grep -E '^(expose_php|display_errors|upload_max_filesize|post_max_size) '").stdout
    assert "expose_php => Off" in ini and "display_errors => Off" in ini, ini
    assert "upload_max_filesize => 52428800" in ini, ini
    jails = on_server("fail2ban-client status", check=False).stdout
    assert "roundcube-auth" in jails, jails


# ---------------------------------------------------------------- the user scenario

def test_01_imap_refused_before_the_change(newcomer, imap_login):
    """From anywhere but the webmail host the right initial password is refused,
    with Dovecot's reason saying where to change it (passdb nologin + reason)."""
    result = imap_login(newcomer["address"], newcomer["password"])
    STATE["imap_before"] = result
    assert result != "OK"
    assert "mat khau ban dau" in result, result
    assert f"https://{MAILHOST}" in result, result


def test_01b_smtp_auth_refused_before_the_change(newcomer, server_ip, tls_context):
    """Postfix ignores nologin: Dovecot fails SMTP AUTH outright (535, no reason)."""
    import smtplib
    with smtplib.SMTP(server_ip, 587, timeout=60) as smtp:
        smtp._host = MAILHOST  # verify the certificate for the published name
        smtp.starttls(context=tls_context)
        smtp.ehlo()
        with pytest.raises(smtplib.SMTPAuthenticationError) as refused:
            smtp.login(newcomer["address"], newcomer["password"])
    assert refused.value.smtp_code == 535


def test_02_initial_login_is_forced_to_the_change_form(browser, newcomer, screenshot):
    login(browser, newcomer["address"], newcomer["password"])
    notice = wait(browser).until(EC.visibility_of_element_located((By.ID, "vmail-force-password")))
    screenshot(browser, "01-forced-password-change")
    assert "mật khẩu ban đầu" in notice.text
    assert "_action=plugin.password" in browser.current_url
    # Anything else leads back to the form.
    browser.get(URL + "?_task=mail&_mbox=INBOX")
    wait(browser).until(EC.visibility_of_element_located((By.ID, "vmail-force-password")))
    assert "_action=plugin.password" in browser.current_url


def test_03_weak_password_refused_in_vietnamese(browser, newcomer, screenshot):
    submit_password(browser, newcomer["password"], WEAK)
    text = message_text(browser, "error")
    screenshot(browser, "02-weak-password-refused")
    assert "phải có ít nhất một chữ cái viết hoa" in text, text
    assert "phải có ít nhất một ký tự đặc biệt" in text, text
    assert on_server(f"/usr/local/sbin/vmail-webmail-initial {newcomer['address']}").stdout.strip() == "1"


def test_04_compliant_password_accepted(browser, newcomer, screenshot):
    submit_password(browser, newcomer["password"], NEW_PASSWORD)
    text = message_text(browser, "confirmation")
    screenshot(browser, "03-password-changed")
    assert text
    assert on_server(f"/usr/local/sbin/vmail-webmail-initial {newcomer['address']}").stdout.strip() == "0"
    # The mailbox opens now.
    browser.get(URL + "?_task=mail&_mbox=INBOX")
    wait(browser).until(EC.presence_of_element_located((By.ID, "messagelist")))
    screenshot(browser, "04-inbox")


def test_05_imap_and_smtp_work_after_the_change(newcomer, imap_login, server_ip, tls_context):
    import smtplib
    assert imap_login(newcomer["address"], NEW_PASSWORD) == "OK"
    with smtplib.SMTP(server_ip, 587, timeout=60) as smtp:
        smtp._host = MAILHOST
        smtp.starttls(context=tls_context)
        smtp.ehlo()
        assert smtp.login(newcomer["address"], NEW_PASSWORD)[0] == 235


def test_06_compose_to_colleague_found_without_diacritics(browser, addresses, screenshot):
    thu = addresses["9001"]
    browser.get(URL + "?_task=mail&_action=compose")
    to = wait(browser).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "#compose_to .recipient-input input")))
    to.send_keys("nguyen van")
    item = wait(browser).until(EC.visibility_of_element_located(
        (By.XPATH, f"//*[@id='rcmKSearchpane']//li[contains(., '{thu}')]")))
    screenshot(browser, "05-address-completion")
    assert "Nguyễn Văn Thử" in item.text
    item.click()
    browser.find_element(By.ID, "compose-subject").send_keys(SUBJECT)
    browser.find_element(By.ID, "composebody").send_keys("Kính gửi anh Thử,\nĐây là thư thử nghiệm có tệp đính kèm.")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", prefix="bao-cao-", delete=False) as handle:
        handle.write("Tệp đính kèm thử nghiệm\n")
    upload = browser.find_element(By.CSS_SELECTOR, "input[type=file][name='_attachments[]']")
    upload.send_keys(handle.name)
    wait(browser).until(EC.presence_of_element_located(
        (By.XPATH, f"//ul[@id='attachment-list']/li[contains(., '{os.path.basename(handle.name)}') and not(contains(@class, 'uploading'))]")))
    screenshot(browser, "06-composed")
    browser.find_element(By.CSS_SELECTOR, "button.send, a.send").click()
    message_text(browser, "confirmation", 120)
    screenshot(browser, "07-sent")
    os.unlink(handle.name)


def test_07_colleague_sees_the_vietnamese_subject(new_browser, users, screenshot):
    thu, thu_password = users["thu"]
    driver = new_browser()
    login(driver, thu, thu_password)
    row = None
    for _ in range(30):
        driver.get(URL + "?_task=mail&_mbox=INBOX")
        rows = driver.find_elements(By.XPATH, f"//table[@id='messagelist']//tr[contains(., '{SUBJECT}')]")
        if not rows:
            time.sleep(2)
            rows = driver.find_elements(By.XPATH, f"//table[@id='messagelist']//tr[contains(., '{SUBJECT}')]")
        if rows:
            row = rows[0]
            break
    screenshot(driver, "08-colleague-inbox")
    assert row is not None, "the message did not arrive in the colleague's inbox"
    assert SUBJECT in row.text
    STATE["thu_browser"] = driver


# ---------------------------------------------------------------- Art. 7 sizes in the interface

def _upload_in_compose(screenshot, mib, accepted):
    """In the colleague's session, open the compose form and attach a file of `mib` MiB:
    it is listed (accepted) or refused with Roundcube's "vượt quá" error (over the limit)."""
    driver = STATE.get("thu_browser")
    assert driver is not None, "test_07 did not leave the colleague's session"
    driver.get(URL + "?_task=mail&_action=compose")
    upload = wait(driver).until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "input[type=file][name='_attachments[]']")))
    with tempfile.NamedTemporaryFile(suffix=".bin", prefix=f"dinh-kem-{mib}MB-", delete=False) as handle:
        handle.truncate(mib * 1048576)
    try:
        upload.send_keys(handle.name)
        if accepted:
            wait(driver, 300).until(EC.presence_of_element_located(
                (By.XPATH, f"//ul[@id='attachment-list']/li[contains(., '{os.path.basename(handle.name)}')"
                           " and not(contains(@class, 'uploading'))]")))
            screenshot(driver, f"10-upload-{mib}MB-accepted")
            assert not driver.find_elements(By.CSS_SELECTOR, "#messagestack div.error")
        else:
            text = message_text(driver, "error")
            screenshot(driver, f"09-upload-{mib}MB-refused")
            assert "vượt quá" in text, text
    finally:
        os.unlink(handle.name)


def test_08_upload_over_the_limit_refused_with_a_message(screenshot):
    _upload_in_compose(screenshot, 51, accepted=False)


def test_09_upload_at_the_limit_accepted(screenshot):
    _upload_in_compose(screenshot, 50, accepted=True)
