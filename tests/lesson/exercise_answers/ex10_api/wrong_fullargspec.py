# Wrong: getfullargspec mixes positional-only parameters in with the others.
# Message: positional-only parameters cannot be passed by keyword
import inspect


def invented_keywords(func, keywords):
    spec = inspect.getfullargspec(func)
    if spec.varkw:
        return []
    return [k for k in keywords if k not in spec.args + spec.kwonlyargs]
