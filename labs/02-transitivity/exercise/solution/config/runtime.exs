import Config

# libcluster's Epmd strategy: every node dials every node of `hosts:` (itself skipped),
# and dials the list again after `timeout:` idle ms. Without `timeout:` it too would
# dial only once, at start-up.
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [hosts: [:"app@n1.lab", :"app@n2.lab", :"app@n3.lab"], timeout: 500]
    ]
  ]
