# Wrong: the name of a *args parameter is taken as a keyword it accepts.
# Message: \*args does not accept keywords
import inspect


def invented_keywords(func, keywords):
    params = inspect.signature(func).parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return []
    accepted = {p.name for p in params if p.kind is not p.POSITIONAL_ONLY}
    return [k for k in keywords if k not in accepted]
