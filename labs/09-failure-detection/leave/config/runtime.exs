import Config

# libcluster's Epmd strategy with `timeout:`: every node dials the whole list at
# start-up, then every listed node that is not connected again after 1000 idle ms.
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [
        hosts: [
          :"user_svc@user_svc.msvc_default",
          :"email_svc@email_svc.msvc_default",
          :"plain_svc@plain_svc.msvc_default",
          :"polite_svc@polite_svc.msvc_default"
        ],
        timeout: 1_000
      ]
    ]
  ]
