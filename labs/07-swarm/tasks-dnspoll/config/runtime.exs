import Config

# libcluster's DNSPoll: `tasks.app` answers with one address per task; dial
# `app@<address>` for each but its own, every 500 ms (default 5000).
config :libcluster,
  topologies: [
    dns_poll: [
      strategy: Cluster.Strategy.DNSPoll,
      config: [query: "tasks.app", node_basename: "app", polling_interval: 500]
    ]
  ]
