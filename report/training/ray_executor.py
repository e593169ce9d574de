"""`--executor ray`: each training run becomes a Ray task; results come back to the same store.

mkreport schedules nothing itself: Ray places the tasks on the cluster's CPUs (or GPUs). The
decoded datasets go into Ray's object store once, so no worker downloads or decodes data.
"""
from __future__ import annotations

import os

from ..errors import ConfigError


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("--executor ray needs Ray: pip install -e '.[ray]'") from None
    return ray


def check_available() -> None:
    _import_ray()


def train_on_ray(ws, todo, executor, progress):
    """Yield (spec, key, result, error, wall) as tasks finish; a task that dies is a failed run."""
    from experiments.training import THREADS_PER_RUN

    from .workers import train_with_data

    ray = _import_ray()
    if not todo:
        return
    started_here = not ray.is_initialized()
    pending = {}
    if started_here:
        ray.init(address=executor.address, include_dashboard=False, log_to_driver=False,
                 configure_logging=False, **({} if executor.address else {"num_cpus": os.cpu_count()}))
    try:
        cpus = executor.cpus_per_run or THREADS_PER_RUN
        gpus = {"num_gpus": executor.gpus_per_run} if executor.gpus_per_run else {}
        from experiments.kernels import ENV

        # the CPU kernels this command chose reach a cluster's workers too (a local one inherits them)
        kernels = {"runtime_env": {"env_vars": {ENV: os.environ[ENV]}}} if ENV in os.environ else {}
        task = ray.remote(num_cpus=cpus, max_retries=0, **gpus, **kernels)(train_with_data)
        datasets = {(name, code): ray.put(ws.dataset(name, code)) for name, code in {(spec.dataset, spec.code) for spec, _ in todo}}
        # every run trains with THREADS_PER_RUN threads, as its key says; --cpus-per-run only reserves CPUs
        pending = {task.remote(spec, datasets[(spec.dataset, spec.code)], THREADS_PER_RUN): (spec, key) for spec, key in todo}
        slots = max(1, int(ray.cluster_resources().get("CPU", 1) // cpus))
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            spec, key = pending.pop(done[0])
            try:
                result, error, wall = ray.get(done[0])
            except Exception as exc:  # the task or its worker died: stored as failed, the grid goes on
                result, error, wall = None, f"Ray task died: {type(exc).__name__}: {str(exc).splitlines()[0]}", 0.0
            running = min(len(pending), slots)
            yield spec, key, result, error, wall  # the caller stores it before the generator resumes
            progress.finished(spec.run_id, result, wall,
                              f"  [cluster: {progress.run_index + 1} done, {running} running, {len(pending) - running} queued]")
    finally:
        for ref in list(pending):
            ray.cancel(ref, force=True)
        if started_here:
            ray.shutdown()
