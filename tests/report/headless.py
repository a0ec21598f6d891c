# Headless Chromium driven over the DevTools protocol on a pipe
# (--remote-debugging-pipe: fd 3 in, fd 4 out, NUL-separated JSON), with
# the standard library only. Used by the report's browser test and by its
# load benchmark: open a page offline, collect console messages, uncaught
# exceptions and every network request, evaluate JavaScript, screenshot.
import base64
import json
import os
import shutil
import subprocess
import tempfile
import time


class ChromiumError(RuntimeError):
    pass


def find_chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise ChromiumError("chromium not found: install the Debian package 'chromium' (scripts/setup)")


class Browser:
    """One headless Chromium with one page target attached."""

    def __init__(self, width=1400, height=1000, timeout=60.0):
        self.timeout = timeout
        self.profile = tempfile.mkdtemp(prefix="nestrr-chromium-")
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def wire_fds():
            # The protocol pipes must be fds 3 and 4 in the browser; go
            # through fresh numbers so neither dup2 clobbers the other.
            r, w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [
            find_chromium(), "--headless=new", "--remote-debugging-pipe",
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", "--no-default-browser-check",
            "--disable-extensions", "--disable-background-networking", "--disable-sync",
            "--disable-component-update", "--disable-default-apps", "--mute-audio",
            # Anything that tries the network goes to a proxy that does not exist.
            "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
            f"--user-data-dir={self.profile}", f"--window-size={width},{height}",
            "about:blank",
        ]
        self.proc = subprocess.Popen(args, preexec_fn=wire_fds, pass_fds=(3, 4),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.events = []  # every protocol event received, in order
        self.session = None
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        self.session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", "Runtime", "Network", "Log"):
            self.call(domain + ".enable")
        self.call("Page.setLifecycleEventsEnabled", enabled=True)
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height,
                  deviceScaleFactor=1, mobile=False)

    def _send(self, method, params, session):
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        return self._next_id

    def _read_message(self, deadline):
        while b"\0" not in self._buf:
            if time.monotonic() > deadline:
                raise ChromiumError("no answer from chromium within %.0fs" % self.timeout)
            chunk = os.read(self._from_child, 1 << 20)
            if not chunk:
                err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
                raise ChromiumError("chromium closed the protocol pipe " + err[-2000:])
            self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method, **params):
        """Sends one command to the page (or the browser before attaching)."""
        want = self._send(method, params, self.session if "." in method and not method.startswith("Target.") else None)
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read_message(deadline)
            if msg.get("id") == want:
                if "error" in msg:
                    raise ChromiumError(f"{method}: {msg['error'].get('message')}")
                return msg.get("result", {})
            if "method" in msg:
                self.events.append(msg)

    def wait_event(self, predicate, what):
        """Returns the first event (already seen or new) matching predicate."""
        for e in self.events:
            if predicate(e):
                return e
        deadline = time.monotonic() + self.timeout
        while True:
            msg = self._read_message(deadline)
            if "method" in msg:
                self.events.append(msg)
                if predicate(msg):
                    return msg
            if time.monotonic() > deadline:
                raise ChromiumError("timed out waiting for " + what)

    def open(self, path):
        """Navigates to a local file and waits for its load event."""
        self.events.clear()
        url = "file://" + os.path.abspath(path)
        self.call("Page.navigate", url=url)
        self.wait_event(lambda e: e["method"] == "Page.loadEventFired", "the page's load event")
        return url

    def evaluate(self, expression):
        r = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in r:
            raise ChromiumError("evaluating %r: %s" % (expression[:80], r["exceptionDetails"].get("text")))
        return r["result"].get("value")

    def wait_for(self, expression, poll_ms=20):
        """Waits until a JavaScript expression is truthy; returns its value."""
        return self.evaluate("new Promise(done => { const poll = () => { const v = (%s); "
                             "if (v) done(v); else setTimeout(poll, %d); }; poll(); })" % (expression, poll_ms))

    def screenshot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def console_errors(self):
        """Console errors, uncaught exceptions and error log entries so far."""
        out = []
        for e in self.events:
            m, p = e["method"], e.get("params", {})
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append("console.%s: %s" % (p["type"], " ".join(str(a.get("value", a.get("description")))
                                                             for a in p.get("args", []))))
            elif m == "Runtime.exceptionThrown":
                d = p.get("exceptionDetails", {})
                out.append("exception: %s %s" % (d.get("text"), d.get("exception", {}).get("description", "")))
            elif m == "Log.entryAdded" and p.get("entry", {}).get("level") == "error":
                out.append("log: " + p["entry"].get("text", ""))
        return out

    def requests(self):
        """URLs of every request the page made (the document itself included)."""
        return [e["params"]["request"]["url"] for e in self.events
                if e["method"] == "Network.requestWillBeSent"]

    def close(self):
        try:
            self._send("Browser.close", {}, None)
            self.proc.wait(timeout=10)
        except Exception:
            self.proc.kill()
            self.proc.wait()
        os.close(self._to_child)
        os.close(self._from_child)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
