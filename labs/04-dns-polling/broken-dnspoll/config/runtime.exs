import Config

# libcluster's DNSPoll: resolve `app` (every service answers to that alias), dial
# `app@<IP>` for every address but its own name, again every 500 ms (default 5000).
config :libcluster,
  topologies: [
    dns_poll: [
      strategy: Cluster.Strategy.DNSPoll,
      config: [query: "app", node_basename: "app", polling_interval: 500]
    ]
  ]
