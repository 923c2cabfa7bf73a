# Wrong: a **kwargs parameter is treated as one more name.
# Message: \*\*kwargs parameter accepts any keyword
import inspect


def invented_keywords(func, keywords):
    names = [p.name for p in inspect.signature(func).parameters.values()
             if p.kind is not p.POSITIONAL_ONLY]
    return [k for k in keywords if k not in names]
