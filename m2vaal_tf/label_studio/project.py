"""The Label Studio project a run labels in, and the tasks of its rounds.

A task's data names its run, round, pool index and rank in the query, so the server itself says
which tasks a round has: a run killed after creating them finds them again instead of creating
copies, and a task deleted in the UI is noticed and created again. Images travel inside the task
as PNG data URIs rather than through a local-files storage: that needs the server started with
LABEL_STUDIO_LOCAL_FILES_SERVING_ENABLED and a directory both machines see, which a team's
Label Studio on another host does not share with the training machine; the images are small
(resized to --image_size), so the task stays small.
"""
import base64
import dataclasses
from typing import Dict, List, Sequence, Tuple
from xml.sax.saxutils import quoteattr

from m2vaal_tf.errors import OracleError

FROM_NAME, TO_NAME = "label", "image"  # the names of the Choices and Image tags of a project made here


@dataclasses.dataclass(frozen=True)
class Project:
    id: int
    title: str
    from_name: str  # its Choices tag, which annotations and predictions name
    to_name: str  # its Image tag
    image_key: str  # the task data key the Image tag reads
    classes: Tuple[str, ...]


def labelling_config(class_names: Sequence[str]) -> str:
    """Image classification: one image, one choice among the data set's classes."""
    choices = "".join(f"<Choice value={quoteattr(name)}/>" for name in class_names)
    return (f'<View><Image name="{TO_NAME}" value="$image" zoom="true" maxWidth="280px"/>'
            f'<Header value="pool index $pool_index (rank $rank in round $round of $run)"/>'
            f'<Choices name="{FROM_NAME}" toName="{TO_NAME}" choice="single" showInLine="true">{choices}</Choices>'
            "</View>")


def open_project(client, name: str, class_names: Sequence[str]) -> Project:
    """The project `name` (a title, or a numeric id), created from the class names when no project
    has that title; its classes must be the data set's."""
    if name.isdigit():
        project = client.call("GET", f"/api/projects/{name}")
    else:
        found = [p for p in client.pages("/api/projects", "results", {"title": name}) if p.get("title") == name]
        if len(found) > 1:
            raise OracleError(f"Label Studio at {client.url} has {len(found)} projects titled {name!r}; pass "
                              f"--label_studio_project=<id> (ids {', '.join(str(p['id']) for p in found)})")
        project = found[0] if found else client.call("POST", "/api/projects", {
            "title": name, "label_config": labelling_config(class_names), "sampling": "Sequential sampling",
            "description": "Active-learning queries from m2vaal_tf, most wanted first, with the model's guess."})
    chosen = _choices_of(project)
    if chosen is None or set(class_names) - set(chosen.classes):
        offered = ", ".join(chosen.classes) if chosen else "no image-classification choices"
        raise OracleError(f"Label Studio project {project['id']} ({project.get('title')!r}) offers {offered}; the "
                          f"data set's classes are {', '.join(class_names)}: use another --label_studio_project")
    return chosen


def round_tasks(client, project: Project, run: str, round_index: int) -> List[dict]:
    """The tasks (with their annotations) that the run created for `round_index`."""
    return [task for task in client.pages("/api/tasks", "tasks", {"project": project.id, "fields": "all"})
            if str(task["data"].get("run")) == run and str(task["data"].get("round")) == str(round_index)]


def create_tasks(client, project: Project, run: str, round_index: int, rows: List[Dict]) -> None:
    """One task per row (pool_index, rank, png bytes, guessed class name, its probability, source),
    with the guess as a pre-annotation; `rows` come in rank order and are created in it, so the
    sequential queue asks the most wanted first."""
    tasks = [{
        "data": {project.image_key: "data:image/png;base64," + base64.b64encode(row["png"]).decode("ascii"),
                 "pool_index": row["pool_index"], "rank": row["rank"], "round": round_index, "run": run,
                 "source": row["source"]},
        "predictions": [{"model_version": f"{run} round {round_index}", "score": row["probability"],
                         "result": [{"from_name": project.from_name, "to_name": project.to_name, "type": "choices",
                                     "value": {"choices": [row["guess"]]}}]}],
    } for row in rows]
    client.call("POST", f"/api/projects/{project.id}/import", tasks)


def _choices_of(project: dict):
    """The project's first Choices tag over an image, as a `Project`, or None."""
    for name, control in (project.get("parsed_label_config") or {}).items():
        images = [i for i in control.get("inputs", []) if i.get("type") == "Image"]
        if control.get("type") == "Choices" and images:
            return Project(id=int(project["id"]), title=str(project.get("title")), from_name=name,
                           to_name=control.get("to_name", [TO_NAME])[0], image_key=images[0].get("value", "image"),
                           classes=tuple(control.get("labels", [])))
    return None
