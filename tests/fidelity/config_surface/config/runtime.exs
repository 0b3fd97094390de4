import Config

# What `mix phx.new` generates; DNS_CLUSTER_QUERY is unset here, so dns_cluster gets
# `:ignore` and does not start.
config :clusterlab, :dns_cluster_query, System.get_env("DNS_CLUSTER_QUERY")

case System.fetch_env!("FIDELITY_CASE") do
  "epmd" ->
    config :libcluster,
      topologies: [
        epmd: [
          strategy: Cluster.Strategy.Epmd,
          config: [hosts: [:"app@epmd-a.lab", :"app@epmd-b.lab"], timeout: 500]
        ]
      ]

  "misspelt" ->
    # `polling_intreval`: libcluster reads `polling_interval` with a default, and says nothing
    config :libcluster,
      topologies: [
        dns_poll: [
          strategy: Cluster.Strategy.DNSPoll,
          config: [query: "lan", node_basename: "app", polling_intreval: 100]
        ]
      ]

  "no_strategy" ->
    config :libcluster, topologies: [epmd: [config: [hosts: [:"app@epmd-a.lab"]]]]

  "half_dnspoll" ->
    config :libcluster,
      topologies: [dns_poll: [strategy: Cluster.Strategy.DNSPoll, config: [query: "lan"]]]

  "bad_query" ->
    config :clusterlab, :dns_cluster_query, :app

  "phx_new" ->
    :ok
end
