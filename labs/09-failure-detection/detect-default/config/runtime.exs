import Config

# libcluster's Epmd strategy with its defaults: every node dials the whole list once,
# at start-up (the last node to boot meshes everyone), and never again (libcluster's
# default interval is :infinity). Nothing redials a victim, so the nodedown each
# witness logs is the whole story.
config :libcluster,
  topologies: [
    epmd: [
      strategy: Cluster.Strategy.Epmd,
      config: [
        hosts: [
          :"user_svc@user_svc.msvc_default",
          :"email_svc@email_svc.msvc_default",
          :"kill_svc@kill_svc.msvc_default",
          :"stop_svc@stop_svc.msvc_default",
          :"pause_svc@pause_svc.msvc_default",
          :"cut_svc@cut_svc.msvc_default"
        ]
      ]
    ]
  ]
