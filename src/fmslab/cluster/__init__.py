"""A real Spark standalone cluster on this machine: one master and N workers, from pyspark alone.

    from fmslab.cluster.standalone import standalone_cluster
    with standalone_cluster(workers=2, state_dir=state) as cluster:   # stopped by pid afterwards
        settings = settings.with_(spark_master=cluster.master_url)    # FMSLAB_SPARK_MASTER
        spark = spark_session("job", settings=settings)               # executors on the workers

or `fmslab cluster up --workers 2 | status | down`. `status` reads the master's JSON endpoint
(`fmslab.cluster.status`). The submodules are imported on use, so the `fmslab` command starts fast.
"""
