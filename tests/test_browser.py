"""A learner's session in a real browser: Debian's Chromium drives the JupyterLab that
``helpers/bin/lab --no-browser`` starts.

It opens the landing page, runs lesson 1 and exercise 1 (solution mode) with Run All,
checks what a learner would see (no error output, a figure in every plot cell, widgets
that render), then clicks the panel: Apply, Partition, Heal, Down. Every wait is on a
state (a DOM element, the kernel going idle), never a sleep. Screenshots and timings go
to ``artifacts/browser/`` (CI keeps that folder). Nothing is left behind: the kernels
and the server are shut down, and the suite's leftover check finds no lab.

Without Chromium the test is skipped with the reason, unless
``CLUSTERLAB_REQUIRE_BROWSER=1`` (``.ci/run`` sets it), which makes that a failure.
"""

from __future__ import annotations

import ctypes
import fcntl
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

try:
    from selenium.common.exceptions import StaleElementReferenceException
except ImportError:  # no selenium: the test skips (or fails) with the install hint
    class StaleElementReferenceException(Exception):  # type: ignore[no-redef]
        """Stands in for selenium's."""

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
LESSON = "notebooks/01-compose-networks.ipynb"
EXERCISE = "labs/01-compose-networks/exercise.ipynb"

pytestmark = [pytest.mark.browser, pytest.mark.docker]


def _browser_missing() -> str | None:
    missing = [name for name, path in (("chromium", CHROMIUM), ("chromedriver", CHROMEDRIVER))
               if path is None]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("selenium (pip install -e '.[test]')")
    if not missing:
        return None
    return (f"{' and '.join(missing)} not found: apt-get install chromium chromium-driver "
            "(.ci/run does; CLUSTERLAB_REQUIRE_BROWSER=1 turns this skip into a failure)")


@pytest.fixture(scope="module")
def timings() -> Iterator[dict[str, float]]:
    measured: dict[str, float] = {}
    yield measured
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "timings.json").write_text(json.dumps(measured, indent=1) + "\n")


class Timer:
    def __init__(self, measured: dict[str, float]) -> None:
        self.measured = measured

    def __call__(self, name: str) -> Timer:
        self.name, self.started = name, time.monotonic()
        return self

    def __enter__(self) -> None:
        return None

    def __exit__(self, *exc: object) -> None:
        self.measured[self.name] = round(time.monotonic() - self.started, 1)


def _read(check: Callable[[], Any]) -> Any:
    try:
        return check()
    except StaleElementReferenceException:
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _api(base: str, token: str, path: str, method: str = "GET") -> Any:
    request = urllib.request.Request(f"{base}{path}", method=method,
                                     headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        body = response.read()
    return json.loads(body) if body else None


def _wait(check: Callable[[], Any], timeout: float, what: str) -> Any:
    """Poll a state (a DOM element, an HTTP answer) until it holds; fail with ``what``.
    An element replaced while it was read (a redrawn graph) is "not yet": read again."""
    deadline = time.monotonic() + timeout
    while not (value := _read(check)):
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not seen within {timeout:g} s")
        time.sleep(0.2)
    return value


CLONE_NEWNET = 0x40000000


@pytest.fixture(scope="module")
def private_network() -> Iterator[bool]:
    """Run the server, chromedriver and Chromium in a network namespace with only loopback.

    Chromium drops its connections (``net::ERR_NETWORK_CHANGED``) whenever an interface
    appears or goes: Docker makes one for every lab network and container, so the lesson's
    own labs (and other labs on a shared engine) broke the theme load, the kernel session
    ("Select Kernel") and the kernel's websocket. The labs need no network from here: the
    kernel reaches the engine through its Unix socket. Needs root (CI is); else unisolated.
    """
    if reason := _browser_missing():
        if os.environ.get("CLUSTERLAB_REQUIRE_BROWSER"):
            pytest.fail(f"CLUSTERLAB_REQUIRE_BROWSER is set but {reason}")
        pytest.skip(reason)
    if os.geteuid() != 0 or os.environ.get("DOCKER_HOST", "unix://").split(":")[0] != "unix":
        yield False
        return
    libc = ctypes.CDLL(None, use_errno=True)
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        if libc.unshare(CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNET)")
        try:
            _loopback_up()
            yield True
        finally:
            if libc.setns(home, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns back to the host network")
    finally:
        os.close(home)


def _loopback_up() -> None:
    """``ip link set lo up``, without needing iproute2: SIOCGIFFLAGS, then SIOCSIFFLAGS."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(sock, 0x8913, request))[1]
        fcntl.ioctl(sock, 0x8914, struct.pack("16sH22x", b"lo", flags | 0x1))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory, timings: dict[str, float],
           private_network: bool) -> Iterator[tuple[str, str]]:
    """``helpers/bin/lab --no-browser`` on a free port; every kernel and the server stop after."""
    home = tmp_path_factory.mktemp("jupyter")
    # Autosave would write outputs into the committed notebooks: off, for this user only.
    docmanager = home / "settings/@jupyterlab/docmanager-extension/plugin.jupyterlab-settings"
    docmanager.parent.mkdir(parents=True)
    docmanager.write_text(json.dumps({"autosave": False}))
    port, token = _free_port(), secrets.token_hex(16)
    base = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("*.png"):  # the folder CI keeps shows this run only
        old.unlink()
    log = (ARTIFACTS / "server.log").open("w")
    started = time.monotonic()
    process = subprocess.Popen(
        [str(ROOT / "helpers/bin/lab"), "--no-browser", f"--port={port}",
         f"--IdentityProvider.token={token}",
         # a clean learner: no saved layout or settings from this machine's other sessions
         f"--LabApp.workspaces_dir={home / 'workspaces'}",
         f"--LabApp.user_settings_dir={home / 'settings'}"],
        env={**os.environ, "CLUSTERLAB_EXERCISE": "solution", "JUPYTER_RUNTIME_DIR": str(home)},
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def up() -> bool:
        if process.poll() is not None:
            raise AssertionError(f"helpers/bin/lab exited with {process.returncode}; "
                                 f"see {ARTIFACTS / 'server.log'}")
        try:
            return _api(base, token, "/api/status") is not None
        except (urllib.error.URLError, ConnectionError):
            return False

    try:
        _wait(up, 600, "JupyterLab answering on /api/status")  # setup may build the image
        timings["server start (setup + jupyter lab)"] = round(time.monotonic() - started, 1)
        yield base, token
    finally:
        try:
            for kernel in _api(base, token, "/api/kernels"):
                _api(base, token, f"/api/kernels/{kernel['id']}", "DELETE")
            _api(base, token, "/api/shutdown", "POST")
            process.wait(timeout=30)
        except (urllib.error.URLError, ConnectionError, subprocess.TimeoutExpired):
            pass
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=30)
        log.close()
        assert process.poll() is not None, "the JupyterLab server outlived the test"


@pytest.fixture(scope="module")
def browser(server: tuple[str, str]) -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM or ""
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1400,1000", "--disable-gpu"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER or ""), options=options)
    try:
        yield driver
    finally:
        driver.quit()


# -- the page, as a learner sees it ------------------------------------------------------

def shot(driver: Any, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def css(driver: Any, selector: str, scope: Any = None) -> list[Any]:
    from selenium.webdriver.common.by import By

    return (scope or driver).find_elements(By.CSS_SELECTOR, selector)


def visible_panel(driver: Any) -> Any:
    """The notebook or document in the current main-area tab."""
    panels = [p for p in css(driver, "#jp-main-dock-panel .jp-MainAreaWidget")
              if p.is_displayed()]
    assert len(panels) == 1, f"{len(panels)} documents visible"
    return panels[0]


def open_from_landing(driver: Any, path: str) -> Any:
    """Click the landing page's link to ``path``; wait for the notebook's kernel."""
    tab = next(t for t in css(driver, ".lm-DockPanel-tabBar .lm-TabBar-tab")
               if "START.md" in t.text)
    tab.click()
    link = _wait(lambda: next((a for a in css(driver, ".jp-RenderedMarkdown a")
                               if a.is_displayed() and path in (a.get_attribute("href") or "")),
                              None), 30, f"a link to {path} on the landing page")
    link.click()
    name = Path(path).name
    _wait(lambda: any(t.text.strip().startswith(name) and "jp-mod-current" in
                      (t.get_attribute("class") or "")
                      for t in css(driver, ".lm-DockPanel-tabBar .lm-TabBar-tab")),
          60, f"{name} open in the current tab")
    wait_kernel_idle(driver, 120)
    return visible_panel(driver)


def no_dialog(driver: Any) -> None:
    """A modal dialog (theme failed to load, "Select Kernel" after a failed kernel start)
    is something a learner would have to answer: fail with its text."""
    dialogs = [d.text for d in css(driver, ".jp-Dialog")]
    assert not dialogs, f"JupyterLab showed a dialog: {dialogs}"


def wait_kernel_idle(driver: Any, timeout: float) -> None:
    """The current notebook's kernel is started, connected and idle (the indicator alone
    says idle while the toolbar still reads "No Kernel")."""
    def idle() -> bool:
        no_dialog(driver)
        names = [k.text.strip() for k in css(driver, ".jp-NotebookPanel:not(.lm-mod-hidden) "
                                                     ".jp-KernelName")]
        status = css(driver, ".jp-NotebookPanel:not(.lm-mod-hidden) "
                             ".jp-Notebook-ExecutionIndicator")
        return (bool(names) and all(n.startswith("Python 3") for n in names) and bool(status)
                and all(s.get_attribute("data-status") == "idle" for s in status))

    _wait(idle, timeout, "the kernel started and idle")


def run_all(driver: Any, notebook: Any, timeout: float) -> list[Any]:
    """Run ▸ Run All Cells from the menu; wait until no cell is queued or running."""
    menu = next(m for m in css(driver, ".lm-MenuBar-item") if m.text.strip() == "Run")
    menu.click()
    item = _wait(lambda: next((i for i in css(driver, ".lm-Menu-item")
                               if i.is_displayed() and i.text.startswith("Run All Cells")),
                              None), 10, "the Run All Cells menu item")
    item.click()
    cells = css(driver, ".jp-CodeCell", notebook)

    def finished() -> bool:
        no_dialog(driver)
        prompts = [c.get_attribute("textContent") for c in
                   css(driver, ".jp-CodeCell .jp-InputArea-prompt", notebook)]
        if any("*" in p for p in prompts):
            return False
        errors = css(driver, '[data-mime-type="application/vnd.jupyter.error"]', notebook)
        return bool(errors) or all(re.search(r"\[\d+\]", p) for p in prompts)

    _wait(finished, timeout, "every cell run")
    wait_kernel_idle(driver, 60)
    return cells


def plot_cells(path: str) -> tuple[list[int], list[int], int]:
    """Indexes (among code cells) of the cells that draw and of those that show widgets."""
    notebook = json.loads((ROOT / path).read_text())
    sources = ["".join(c["source"]) for c in notebook["cells"] if c["cell_type"] == "code"]
    draws = [i for i, s in enumerate(sources) if "draw_" in s]
    widgets = [i for i, s in enumerate(sources) if "panel(" in s or ".widget()" in s]
    return draws, widgets, len(sources)


def assert_ran_clean(driver: Any, notebook: Any, path: str) -> None:
    draws, widgets, count = plot_cells(path)
    cells = css(driver, ".jp-CodeCell", notebook)
    assert len(cells) == count
    errors = [e.get_attribute("textContent")[:600] for e in
              css(driver, '[data-mime-type="application/vnd.jupyter.error"]', notebook)]
    assert not errors, f"{path} printed errors:\n" + "\n".join(errors)
    unrun = [i for i, c in enumerate(cells)
             if not re.search(r"\[\d+\]", css(driver, ".jp-InputArea-prompt", c)[0]
                              .get_attribute("textContent"))]
    assert not unrun, f"{path}: code cells {unrun} did not run"
    for i in draws:
        figures = css(driver, ".jp-OutputArea-output img", cells[i])
        assert figures, f"{path}: plot cell {i} shows no figure"
    assert "Error displaying widget" not in notebook.get_attribute("textContent")
    for i in widgets:
        rendered = css(driver, ".jp-OutputArea-output .jupyter-widgets", cells[i])
        assert rendered, f"{path}: widget cell {i} rendered no widget"


# -- the panel ------------------------------------------------------------------------------

def button(panel: Any, label: str) -> Any:
    return next(b for b in css(None, "button", panel) if b.text.strip() == label)


def panel_text(panel: Any) -> str:
    return panel.get_attribute("innerText")


def graph_png(panel: Any) -> str:
    images = css(None, "img", panel)
    return images[0].get_attribute("src") if images else ""


def islands(panel: Any) -> str:
    found = re.search(r"network islands: .*", panel_text(panel))
    return found.group(0) if found else ""


def click_and_wait(panel: Any, label: str, log_line: str, timeout: float) -> None:
    """Click a panel button; wait for its line in the log and for the buttons to settle."""
    before = panel_text(panel).count(log_line)
    button(panel, label).click()
    _wait(lambda: panel_text(panel).count(log_line) > before
          and button(panel, "Apply").is_enabled(),
          timeout, f"the panel to log {log_line!r} after {label}")


def test_landing_page_lesson_exercise_and_panel_in_chromium(server: tuple[str, str],
                                                           browser: Any,
                                                           timings: dict[str, float]) -> None:
    base, token = server
    committed = {path: (ROOT / path).read_bytes() for path in (LESSON, EXERCISE)}
    try:
        run_session(browser, base, token, timings)
    except BaseException:
        shot(browser, "failure")
        raise
    for path, text in committed.items():
        assert (ROOT / path).read_bytes() == text, f"the browser session rewrote {path}"


def run_session(driver: Any, base: str, token: str, timings: dict[str, float]) -> None:
    from clusterlab.lab import registry
    from selenium.webdriver.support.ui import Select

    for path in (EXERCISE, "labs/01-compose-networks/exercise/compose.yaml", "START.md"):
        assert _api(base, token, f"/api/contents/{path}?content=0")["path"] == path
    timer = Timer(timings)

    with timer("landing page rendered"):
        driver.get(f"{base}/?token={token}")
        _wait(lambda: any("Course map" in h.text for h in css(driver, ".jp-RenderedMarkdown h2")),
              90, "the landing page (START.md rendered) in the browser")
    shot(driver, "01-landing")
    no_dialog(driver)
    links = {a.get_attribute("href") for a in css(driver, ".jp-RenderedMarkdown a")}
    assert any(LESSON in (h or "") for h in links) and any(EXERCISE in (h or "") for h in links)

    with timer("lesson 1: open + kernel"):
        notebook = open_from_landing(driver, LESSON)
    with timer("lesson 1: Run All"):
        run_all(driver, notebook, 300)
    assert_ran_clean(driver, notebook, LESSON)
    shot(driver, "02-lesson1-run")

    panel = css(driver, ".jp-CodeCell", notebook)[-1]
    driver.execute_script("arguments[0].scrollIntoView()", panel)
    with timer("panel: Apply broken"):
        Select(css(None, ".widget-dropdown select", panel)[0]).select_by_visible_text("broken")
        click_and_wait(panel, "Apply", " is up as ", 180)
        _wait(lambda: graph_png(panel), 60, "the panel's graph")
    project = re.search(r"is up as (\S+)", panel_text(panel)).group(1)
    service = Select(css(None, ".widget-dropdown select", panel)[-1])
    assert service.first_selected_option.text.strip(), "the service dropdown has a target"
    shot(driver, "03-panel-applied")
    before_graph, before_islands = graph_png(panel), islands(panel)
    assert "job_svc" in before_islands and "|" in before_islands

    with timer("panel: Partition job_svc"):
        service.select_by_visible_text("job_svc")
        click_and_wait(panel, "Partition", "cut off job_svc", 120)
        _wait(lambda: graph_png(panel) not in ("", before_graph), 60, "the graph to change")
    assert islands(panel) != before_islands, "job_svc cut off: the islands change"
    assert "docker network disconnect" in panel_text(panel), "the panel shows the command"
    shot(driver, "04-panel-partitioned")

    with timer("panel: Heal job_svc"):
        click_and_wait(panel, "Heal", "reconnected job_svc", 120)
        _wait(lambda: islands(panel) == before_islands, 60, "the islands as before the cut")
    assert "docker network connect" in panel_text(panel)
    shot(driver, "05-panel-healed")

    with timer("panel: Down"):
        click_and_wait(panel, "Down", "lab removed", 120)
    assert not graph_png(panel), "the pictures are cleared"
    assert project not in registry.projects(), f"{project} is still on the engine"
    shot(driver, "06-panel-down")

    with timer("exercise 1: open + kernel"):
        exercise = open_from_landing(driver, EXERCISE)
    with timer("exercise 1: Run All (solution)"):
        run_all(driver, exercise, 300)
    assert_ran_clean(driver, exercise, EXERCISE)
    shot(driver, "07-exercise1-run")

    toasts = [t.text for t in css(driver, ".jp-toast-message, .Toastify__toast")]
    assert not any("news" in t.lower() for t in toasts), f"the news popup showed: {toasts}"
