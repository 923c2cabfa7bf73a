# Wrong: 20 parameters per token instead of 20 tokens per parameter.
# Message: multiply by 20, not divide
def training_flops(n_params, n_tokens):
    return 6 * n_params * n_tokens


def compute_optimal_tokens(n_params):
    return n_params / 20


def gpu_hours(flops, flops_per_second):
    return flops / flops_per_second / 3600


def training_cost(flops, flops_per_second, dollars_per_gpu_hour):
    return gpu_hours(flops, flops_per_second) * dollars_per_gpu_hour
