import Config

# libcluster's Epmd strategy: dial every listed node at start-up, then every node that
# is not connected again after 1000 idle ms.
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [
        hosts: [
          :"client_svc@client_svc.msvc_default",
          :"user_svc@user_svc.msvc_default",
          :"job_svc@job_svc.msvc_default"
        ],
        timeout: 1_000
      ]
    ]
  ]
