# Wrong: GPU-seconds reported as GPU-hours.
# Message: GPU-seconds
def training_flops(n_params, n_tokens):
    return 6 * n_params * n_tokens


def compute_optimal_tokens(n_params):
    return 20 * n_params


def gpu_hours(flops, flops_per_second):
    return flops / flops_per_second


def training_cost(flops, flops_per_second, dollars_per_gpu_hour):
    return gpu_hours(flops, flops_per_second) * dollars_per_gpu_hour
