import Config

# libcluster's Epmd strategy: every node dials the full name of every listed node, and
# dials those it is not connected to again every 500 ms (`timeout:`, in ms).
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [hosts: [:"app@n1.lab", :"app@n2.lab", :"app@n3.lab"], timeout: 500]
    ]
  ]
