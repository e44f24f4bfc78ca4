"""Label Studio as the oracle (`--oracle=label_studio`): each round's query becomes tasks in a Label
Studio project, with the model's guess as a pre-annotation, and the round goes on once they are
annotated.

  client.py   the REST API over the standard library (no SDK: the six calls this needs do not earn
              the SDK's dependencies a place in a TensorFlow environment), with either kind of key
  project.py  the project (found by title or id, or created from the class names) and a round's tasks
  oracle.py   the oracle: ask (create the round's tasks), collect (read their annotations back,
              checked), and the waiting (`--label_studio_wait`)

Importing this package loads nothing but these names, so that the flag checks stay fast.
"""
API_KEY_VARIABLE = "LABEL_STUDIO_API_KEY"
WAITS = ("block", "exit")  # oracle.py implements both
