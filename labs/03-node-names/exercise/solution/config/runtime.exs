import Config

# libcluster's Epmd strategy (lesson 2): every node dials every node of `hosts:`, by the
# full names Compose gives them, and dials the list again after 500 idle ms.
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [hosts: [:"app@n1.lab", :"app@n2.lab", :"app@n3.lab"], timeout: 500]
    ]
  ]
