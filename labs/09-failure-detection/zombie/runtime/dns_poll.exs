import Config

# config/runtime.exs of the libcluster app (dnspoll), mounted over its release's own.
# libcluster's DNSPoll: resolve `beam` every second, dial `app@<address>` for every
# address but its own name, one after the other.
config :libcluster,
  topologies: [
    dns_poll: [
      strategy: Cluster.Strategy.DNSPoll,
      config: [query: "beam", node_basename: "app", polling_interval: 1_000]
    ]
  ]
