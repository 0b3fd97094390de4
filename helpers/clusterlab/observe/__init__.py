"""Inside the containers: the probe (DNS + ``Node.list``), Erlang calls, resolver, logs."""
