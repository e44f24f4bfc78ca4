"""A person labelling in Label Studio, as the run's oracle.

`ask` creates the round's tasks (those the server does not have yet), `collect` reads them back;
both then wait as `--label_studio_wait` says: `block` polls until every task is annotated, with a
line each time the count changes; `exit` returns at once, and the run stops until `--resume`.
Nothing reaches pool.json until every task of the round has a valid label: a skipped task, a
deleted one (created again), or a label outside the class list each get one line, and the round
goes on waiting (or, for a foreign label, stops) with pool.json as it was. Where a task has several
annotations the latest one counts, and a line says so. Each label keeps its annotator and time.
"""
import os
import time
from typing import Callable, Dict, List, Optional, Sequence

import numpy as np

from m2vaal_tf.answers import Answers
from m2vaal_tf.errors import OracleError
from m2vaal_tf.label_studio import API_KEY_VARIABLE, project
from m2vaal_tf.label_studio.client import Client


class LabelStudioOracle:
    def __init__(self, url: str, project_name: str, run: str, wait: str, poll_seconds: float,
                 pool_images: np.ndarray, class_names: Sequence[str], sources: Optional[Sequence[str]] = None):
        key = os.environ.get(API_KEY_VARIABLE, "").strip()
        if not key:
            raise OracleError(f"--oracle=label_studio needs an API key in ${API_KEY_VARIABLE} (Label Studio: "
                              "Account & Settings > Access Token); it is read from the environment only")
        self.client = Client(url, key, API_KEY_VARIABLE)
        self.run, self.wait, self.poll_seconds = run, wait, poll_seconds
        self.pool_images, self.class_names, self.sources = pool_images, tuple(class_names), sources
        # At once, so that a server that is down, a bad key or a project of other classes stops the run
        # before a round is trained.
        self.project = project.open_project(self.client, project_name or run, self.class_names)
        self._users: Dict[int, str] = {}
        self._annotated = 0  # of the round last read, for the instructions that follow an unfinished one

    def ask(self, query, out: Callable[[str], None] = print):
        """Creates the round's tasks that the server does not have (all of them, the first time),
        then waits as --label_studio_wait says; asking again, and collecting, are the same."""
        return self._wait(query, out)

    collect = ask

    def was_asked(self, query) -> bool:
        return bool(project.round_tasks(self.client, self.project, self.run, query.round))

    def instructions(self, query, resume_command: str) -> str:
        left = len(query.selected) - self._annotated
        return (f"Round {query.round}: {self._annotated} of {len(query.selected)} annotated ({left} left) in Label "
                f"Studio project {self.project.title!r} ({self.client.url}/projects/{self.project.id}/data); once "
                f"all are, continue with: {resume_command}")

    # -- the round's tasks ------------------------------------------------------------------

    def _create_missing(self, query, tasks: List[dict], out) -> List[dict]:
        """Creates the query's tasks that the server lacks (all of them the first time; a task
        deleted in the UI later) and returns the round's tasks."""
        import tensorflow as tf  # PNG encoding, only when tasks are made; the oracle stays light to import
        have = {int(t["data"]["pool_index"]) for t in tasks}
        rows = []
        confidence = query.confidence  # empty in a query saved before it was kept
        for rank, (index, guess) in enumerate(zip(query.selected, query.predicted)):
            if int(index) in have:
                continue
            image = self.pool_images[int(index)]
            rows.append(dict(pool_index=int(index), rank=rank, png=tf.io.encode_png(image).numpy(),
                             guess=self.class_names[int(guess)],
                             probability=float(confidence[rank]) if rank < len(confidence) else None,
                             source=self.sources[int(index)] if self.sources else ""))
        if rows:
            if tasks:
                out(f"  round {query.round}: {len(rows)} task(s) were deleted in Label Studio (pool_index "
                    f"{', '.join(str(r['pool_index']) for r in rows[:10])}); created again")
            project.create_tasks(self.client, self.project, self.run, query.round, rows)
            tasks = project.round_tasks(self.client, self.project, self.run, query.round)
        return tasks

    def _wait(self, query, out):
        shown = None
        while True:
            answers, done, notes = self._read(query, out)
            if answers is not None or self.wait == "exit":
                for note in notes:
                    out(note)
            if answers is not None:
                return Answers(labels=np.array([answers[int(i)]["label"] for i in query.selected], np.int64),
                               annotations=tuple(answers[int(i)]["by"] for i in query.selected))
            if self.wait == "exit":
                return None
            if (done, notes) != shown:
                out(f"  round {query.round}: {done} of {len(query.selected)} annotated in Label Studio"
                    + "".join(f"; {note.strip()}" for note in notes))
                shown = (done, notes)
            time.sleep(self.poll_seconds)

    def _read(self, query, out):
        """(labels and provenance by pool index when every task has a valid one, else None; how many
        are annotated; lines about skipped tasks and several annotations). A label outside the class
        list raises, since waiting cannot mend it."""
        tasks = self._create_missing(query, project.round_tasks(self.client, self.project, self.run,
                                                                 query.round), out)
        by_index = {int(t["data"]["pool_index"]): t for t in tasks}
        answers, notes, skipped, foreign = {}, [], [], []
        for index in (int(i) for i in query.selected):
            task = by_index.get(index)
            kept = [a for a in (task or {}).get("annotations", []) if not a.get("was_cancelled")]
            if not kept:
                if task and any(a.get("was_cancelled") for a in task.get("annotations", [])):
                    skipped.append(f"{task['id']} (pool_index {index})")
                continue
            latest = max(kept, key=lambda a: (a.get("updated_at") or "", a["id"]))
            if len(kept) > 1:
                notes.append(f"  task {task['id']} (pool_index {index}) has {len(kept)} annotations; the latest "
                             f"(id {latest['id']}, {latest.get('updated_at')}) counts")
            label = self._label_of(latest)
            if label is None:
                foreign.append(f"task {task['id']} (pool_index {index}): "
                               + (repr(self._choice_text(latest)) if self._choice_text(latest) else "no class chosen"))
                continue
            answers[index] = {"label": label, "by": {
                "annotator": self._user(latest.get("completed_by")), "time": latest.get("updated_at"),
                "label_studio_task": task["id"], "label_studio_annotation": latest["id"]}}
        if foreign:
            raise OracleError(f"Label Studio project {self.project.id}: {len(foreign)} label(s) outside the classes "
                              f"({', '.join(self.class_names)}), nothing was recorded: {'; '.join(foreign[:10])}; "
                              "correct them in Label Studio, then --resume")
        if skipped:
            notes.append(f"  skipped in Label Studio, still to label: task {', '.join(skipped[:10])}")
        complete = len(answers) == len(query.selected)
        self._annotated = len(answers)
        return (answers if complete else None), len(answers), tuple(notes)

    def _label_of(self, annotation) -> Optional[int]:
        for item in annotation.get("result", []):
            if item.get("from_name") == self.project.from_name:
                choices = item.get("value", {}).get("choices", [])
                if len(choices) == 1 and choices[0] in self.class_names:
                    return self.class_names.index(choices[0])
        return None

    def _choice_text(self, annotation) -> str:
        return ", ".join(c for item in annotation.get("result", []) for c in item.get("value", {}).get("choices", []))

    def _user(self, user_id) -> str:
        """The annotator's e-mail (asked once per user), or their id where the key may not list users."""
        if user_id is None:
            return ""
        if user_id not in self._users:
            try:
                self._users[user_id] = self.client.call("GET", f"/api/users/{user_id}").get("email") or str(user_id)
            except OracleError:
                self._users[user_id] = f"user {user_id}"
        return self._users[user_id]
