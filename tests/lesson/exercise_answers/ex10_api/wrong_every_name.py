# Wrong: every parameter name counts, positional-only ones and *args too.
# Message: positional-only parameters cannot be passed by keyword
import inspect


def invented_keywords(func, keywords):
    params = inspect.signature(func).parameters
    if any(p.kind is p.VAR_KEYWORD for p in params.values()):
        return []
    return [k for k in keywords if k not in params]
