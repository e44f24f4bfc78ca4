"""A real Label Studio server for the tests, and an annotator who works through its REST API.

The server runs from its own venv (`make label-studio`; `make test` sets M2VAAL_LABEL_STUDIO to its
program) with sqlite in a temporary directory, on a free local port, with a user and a legacy API
token created by `label-studio start`'s own options. Its database is migrated once, into a
template beside the venv, and copied for each test module: migrating takes minutes, starting from
the copy seconds.
"""
import json
import os
import shutil
import signal
import subprocess
import time
import urllib.request

from conftest import PROJECT_ROOT, free_port

USER, PASSWORD = "annotator@example.com", "m2vaal-test-password"
TOKEN = "5eed0a1ab5e1d0d0c0ffee00ba5eba11dec0de42"  # a legacy token: 40 hex digits
PROGRAM = os.environ.get("M2VAAL_LABEL_STUDIO") or os.path.join(PROJECT_ROOT, ".venv-label-studio", "bin",
                                                                "label-studio")
_START_SECONDS = 600


class Server:
    def __init__(self, data_dir: str):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(os.path.join(data_dir, "server.log"), "w")
        self.process = subprocess.Popen(
            [PROGRAM, "start", "--no-browser", "--port", str(self.port), "--internal-host", "127.0.0.1",
             "--username", USER, "--password", PASSWORD, "--user-token", TOKEN, "--enable-legacy-api-token",
             "--skip-long-migrations", "--log-level", "WARNING"],
            env={**os.environ, "LABEL_STUDIO_BASE_DATA_DIR": data_dir, "DJANGO_DB": "sqlite"},
            stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + _START_SECONDS
        while not self._healthy():
            if self.process.poll() is not None or time.time() > deadline:
                why = self._why()
                self.stop()
                raise RuntimeError(f"Label Studio did not start ({why}); see {self.log.name}")
            time.sleep(1)

    def _why(self) -> str:
        """The log's last line when the server died (CI shows this message, never the log file)."""
        if self.process.returncode is None:
            return f"no /health answer within {_START_SECONDS} s"
        self.log.flush()
        with open(self.log.name) as log:
            lines = [line.strip() for line in log if line.strip()]
        return f"exit {self.process.returncode}: {lines[-1] if lines else 'nothing logged'}"

    def _healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=5) as response:
                return response.status == 200
        except OSError:
            return False

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()

    # -- the annotator ------------------------------------------------------------------------

    def call(self, method: str, path: str, body=None):
        request = urllib.request.Request(
            self.url + path, data=None if body is None else json.dumps(body).encode(), method=method,
            headers={"Authorization": f"Token {TOKEN}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=30) as response:
            content = response.read()
        return json.loads(content) if content else None

    def project_id(self, title: str):
        found = [p["id"] for p in self.call("GET", "/api/projects?page_size=100")["results"] if p["title"] == title]
        return found[0] if found else None

    def tasks(self, title: str, round_index=None):
        """The project's tasks (with annotations and predictions) in id order, of one round if given."""
        project = self.project_id(title)
        if project is None:
            return []
        tasks = self.call("GET", f"/api/tasks?project={project}&page_size=1000&fields=all")["tasks"]
        return sorted((t for t in tasks if round_index is None or str(t["data"]["round"]) == str(round_index)),
                      key=lambda t: t["id"])

    def annotate(self, task_id: int, choice: str, cancelled: bool = False):
        result = [] if cancelled else [{"from_name": "label", "to_name": "image", "type": "choices",
                                       "value": {"choices": [choice]}}]
        return self.call("POST", f"/api/tasks/{task_id}/annotations", {"result": result, "was_cancelled": cancelled})


def start(tmp_dir: str) -> Server:
    """A server on a copy of the migrated template (made first if there is none)."""
    template = os.path.join(os.path.dirname(os.path.dirname(os.path.realpath(PROGRAM))), "m2vaal-test-template")
    if not os.path.exists(os.path.join(template, "done")):
        shutil.rmtree(template, ignore_errors=True)
        os.makedirs(template)
        Server(template).stop()
        open(os.path.join(template, "done"), "w").close()
    data_dir = os.path.join(tmp_dir, "label-studio")
    shutil.copytree(template, data_dir, ignore=shutil.ignore_patterns("done", "server.log"))
    return Server(data_dir)
