"""Name -> class registries filled by a class decorator: the strategies (by `name`) and the model
families (by `family`) are found the same way, and unknown names are rejected the same way."""
from typing import Dict, List


class Registry:
    def __init__(self, what: str, key: str):
        self.what = what  # "strategy", "model family": for messages
        self.key = key  # the class attribute holding the name
        self.classes: Dict[str, type] = {}

    def register(self, cls: type) -> type:
        """Class decorator adding `cls` under its name."""
        name = getattr(cls, self.key)
        if name in self.classes:
            raise ValueError(f"{self.what} {name!r} is registered twice")
        self.classes[name] = cls
        return cls

    def names(self) -> List[str]:
        return sorted(self.classes)

    def get(self, name: str) -> type:
        try:
            return self.classes[name]
        except KeyError:
            raise ValueError(f"unknown {self.what} {name!r}; choose one of: {', '.join(self.names())}") from None
