import Config

# libcluster's Epmd strategy with `timeout:`: every node dials the whole list at
# start-up, then every listed node that is not connected again after 1000 idle ms.
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [hosts: [:"a@a.lab", :"b@b.lab", :"c@c.lab"], timeout: 1_000]
    ]
  ]
