# Right: let inspect.Signature.bind_partial decide, one keyword at a time.
import inspect


def invented_keywords(func, keywords):
    sig = inspect.signature(func)
    invented = []
    for name in keywords:
        try:
            sig.bind_partial(**{name: None})
        except TypeError:
            invented.append(name)
    return invented
