"""The directory page's search in a real (headless) Chromium: with or without diacritics, by unit."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from vmail.directory import directory_entries, directory_files, write_tree
from vmail.allocation import mailbox_accounts

from test_directory import UNITS, personnel


@pytest.fixture(name="page", scope="module")
def fixture_page() -> Iterator[Any]:
    root = Path(tempfile.mkdtemp(prefix="vmail-directory-"))
    profile = tempfile.mkdtemp(prefix="vmail-chromium-")
    entries = directory_entries(mailbox_accounts(personnel()), UNITS)
    write_tree(directory_files(entries, "Danh bạ", UNITS), str(root))
    opts = webdriver.ChromeOptions()
    opts.binary_location = "/usr/bin/chromium"
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", f"--user-data-dir={profile}"):
        opts.add_argument(flag)
    driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=opts)
    driver.get((root / "index.html").as_uri())
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)
    shutil.rmtree(root, ignore_errors=True)


def visible(driver: Any, query: str, unit: str = "") -> list[str]:
    """Names of the rows shown after typing ``query`` and choosing ``unit``."""
    box = driver.find_element(By.ID, "q")
    box.clear()
    box.send_keys(query)
    Select(driver.find_element(By.ID, "don-vi")).select_by_value(unit)
    rows = driver.find_elements(By.CSS_SELECTOR, "#danh-ba tbody tr")
    shown = [r.find_element(By.TAG_NAME, "td").text for r in rows if r.is_displayed()]
    assert driver.find_element(By.ID, "so-ket-qua").text == str(len(shown))
    return shown


@pytest.mark.parametrize("query", ["Đặng Thị Ánh", "dang thi anh", "DANG anh", "ánh", "Đặng", "800 001", "dangthianh@"])
def test_search_with_or_without_diacritics(page: Any, query: str) -> None:
    assert visible(page, query) == ["Đặng Thị Ánh"]


def test_a_word_without_diacritics_matches_every_accent(page: Any) -> None:
    """'anh' also finds 'Thành' (Mỹ Tho's 'thành phố'); 'ánh' finds only Ánh (tested above)."""
    assert visible(page, "anh") == ["UBND thành phố Mỹ Tho", "Đặng Thị Ánh"]


def test_unit_filter_includes_sub_units(page: Any) -> None:
    assert sorted(visible(page, "", "tanphuoc")) == sorted(
        ["UBND huyện Tân Phước", "UBND xã Mỹ Phước", "Đặng Thị Ánh", "Phòng Tài chính - Kế hoạch", "UBND Phường 1"])
    assert visible(page, "ubnd xa", "tanphuoc") == ["UBND xã Mỹ Phước", "Đặng Thị Ánh"]


def test_empty_search_shows_everything(page: Any) -> None:
    assert len(visible(page, "")) == len(page.find_elements(By.CSS_SELECTOR, "#danh-ba tbody tr")) == 13
