"""README's Label Studio screenshot, taken from the tests' own server: a real Label Studio
(tests/label_studio_server.py), one round of margin sampling on Fashion-MNIST asked into it, and
headless Chromium (Playwright) logged in as the tests' annotator.

  python scripts/label_studio_screenshot.py --browser_python=/tmp/pwvenv/bin/python

`--browser_python` is a Python with `playwright` installed (pip install playwright; it drives the
system's Chromium, --chromium, so nothing is downloaded). Writes docs/images/label_studio_tasks.png
(the data manager: the tasks in query order with the model's guess) and label_studio_task.png (one
task open, the guess pre-selected).
"""
import argparse
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))  # the tests' server helper, not part of the package

BROWSE = r"""
import sys
from playwright.sync_api import sync_playwright
url, user, password, project, task, chromium, out_list, out_task = sys.argv[1:]
with sync_playwright() as p:
    browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1400, "height": 760})
    page.goto(f"{url}/user/login")
    page.fill("input[name=email]", user)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{url}/projects/{project}/data")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(3000)
    page.screenshot(path=out_list)
    page.goto(f"{url}/projects/{project}/data?task={task}")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(4000)
    page.screenshot(path=out_task)
    browser.close()
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--browser_python", required=True, help="a Python with playwright installed")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    parser.add_argument("--out_dir", default=os.path.join(ROOT, "docs", "images"))
    args = parser.parse_args()
    import label_studio_server

    from m2vaal_tf import experiment
    from m2vaal_tf.config import ExperimentConfig

    with tempfile.TemporaryDirectory() as scratch:
        server = label_studio_server.start(scratch)
        try:
            os.environ["LABEL_STUDIO_API_KEY"] = label_studio_server.TOKEN
            config = ExperimentConfig(strategy="margin", initial_labeled=200, budget=20, max_labeled=220,
                                      pool_subsample=5000, epochs=10, stop_set_size=0, projector_every=0,
                                      oracle="label_studio", label_studio_url=server.url, label_studio_wait="exit",
                                      label_studio_project="Fashion-MNIST: margin, round 0", logdir=scratch,
                                      run_name="fashion_margin")
            experiment.prepare(config).run()
            project = server.project_id(config.label_studio_project)
            first = server.tasks(config.label_studio_project)[0]["id"]
            outputs = [os.path.join(args.out_dir, name) for name in ("label_studio_tasks.png", "label_studio_task.png")]
            subprocess.run([args.browser_python, "-c", BROWSE, server.url, label_studio_server.USER,
                            label_studio_server.PASSWORD, str(project), str(first), args.chromium, *outputs],
                           check=True)
            print("\n".join(outputs))
        finally:
            server.stop()


if __name__ == "__main__":
    main()
