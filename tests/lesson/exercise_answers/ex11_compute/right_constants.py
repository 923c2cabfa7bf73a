# Right: named constants, the hourly rate of the accelerator first.
FLOPS_PER_PARAM_TOKEN = 2 + 4   # forward pass, backward pass
TOKENS_PER_PARAM = 20
SECONDS_PER_HOUR = 3600


def training_flops(n_params, n_tokens):
    return FLOPS_PER_PARAM_TOKEN * n_params * n_tokens


def compute_optimal_tokens(n_params):
    return TOKENS_PER_PARAM * n_params


def gpu_hours(flops, flops_per_second):
    return flops / (flops_per_second * SECONDS_PER_HOUR)


def training_cost(flops, flops_per_second, dollars_per_gpu_hour):
    return dollars_per_gpu_hour * gpu_hours(flops, flops_per_second)
