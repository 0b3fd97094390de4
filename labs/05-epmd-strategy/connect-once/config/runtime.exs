import Config

# libcluster's Epmd strategy with its defaults: dial every listed node once, inside
# init (at start-up), and never again (libcluster's default interval is :infinity).
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [
        hosts: [
          :"user_svc@user_svc.msvc_default",
          :"job_svc@job_svc.msvc_default",
          :"email_svc@email_svc.msvc_default"
        ]
      ]
    ]
  ]
