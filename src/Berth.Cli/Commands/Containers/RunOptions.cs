using System.CommandLine;
using Berth.Engine.Services.Containers;

namespace Berth.Cli.Commands.Containers;

/// <summary>The flags `create` and `run` share, and their translation into a <see cref="ContainerCreateRequest"/>.</summary>
public sealed class RunOptions
{
    public readonly Option<string?> Name = new("--name") { Description = "Assign a name to the container" };
    public readonly Option<string?> Hostname = new("--hostname", "-h") { Description = "Container host name" };
    public readonly Option<string[]> Env = new("--env", "-e") { Description = "Set environment variables" };
    public readonly Option<string[]> EnvFile = new("--env-file") { Description = "Read in a file of environment variables" };
    public readonly Option<string?> Workdir = new("--workdir", "-w") { Description = "Working directory inside the container" };
    public readonly Option<string?> User = new("--user", "-u") { Description = "Username or UID (format: <name|uid>[:<group|gid>])" };
    public readonly Option<string?> Entrypoint = new("--entrypoint") { Description = "Overwrite the default ENTRYPOINT of the image" };
    public readonly Option<string[]> Volume = new("--volume", "-v") { Description = "Bind mount a volume (host-dir:container-dir[:ro], or volume-name:container-dir)" };
    public readonly Option<string[]> Tmpfs = new("--tmpfs") { Description = "Mount a tmpfs directory" };
    public readonly Option<bool> ReadOnly = new("--read-only") { Description = "Mount the container's root filesystem as read only" };
    public readonly Option<string> Network = new("--network", "--net")
    {
        Description = "Connect a container to a network: none, host, container:NAME (another container's network), or default " +
                      "(its own network namespace with only loopback; outbound networking in the default mode is not available yet: " +
                      "use --network host for it)",
        DefaultValueFactory = _ => "default",
    };
    public readonly Option<string?> Memory = new("--memory", "-m") { Description = "Memory limit" };
    public readonly Option<string?> Cpus = new("--cpus") { Description = "Number of CPUs" };
    public readonly Option<long?> PidsLimit = new("--pids-limit") { Description = "Tune container pids limit (set -1 for unlimited)" };
    public readonly Option<string[]> CapAdd = new("--cap-add") { Description = "Add Linux capabilities" };
    public readonly Option<string[]> CapDrop = new("--cap-drop") { Description = "Drop Linux capabilities" };
    public readonly Option<string[]> SecurityOpt = new("--security-opt") { Description = "Security Options (no-new-privileges, seccomp=unconfined)" };
    public readonly Option<bool> Privileged = new("--privileged") { Description = "Give extended privileges to this container" };
    public readonly Option<bool> Init = new("--init") { Description = "Run an init inside the container that forwards signals and reaps processes" };
    public readonly Option<string[]> Label = new("--label", "-l") { Description = "Set meta data on a container" };
    public readonly Option<string?> StopSignal = new("--stop-signal") { Description = "Signal to stop a container" };
    public readonly Option<int?> StopTimeout = new("--stop-timeout") { Description = "Timeout (in seconds) to stop a container" };
    public readonly Option<string> Runtime = new("--runtime") { Description = "Runtime to use for this container (runc or crun)", DefaultValueFactory = _ => "runc" };
    public readonly Option<string[]> Publish = new("--publish", "-p") { Description = "Publish a container's port(s) to the host ([ip:][hostPort:]containerPort[/proto], on 127.0.0.1 by default)" };
    public readonly Option<bool> Tty = new("--tty", "-t") { Description = "Allocate a pseudo-TTY" };
    public readonly Option<bool> Interactive = new("--interactive", "-i") { Description = "Keep STDIN open even if not attached" };
    public readonly Option<bool> Remove = new("--rm") { Description = "Automatically remove the container when it exits" };
    public readonly Option<string?> HealthCmd = new("--health-cmd") { Description = "Command to run to check health" };
    public readonly Option<string?> HealthInterval = new("--health-interval") { Description = "Time between running the check (ms|s|m|h) (default 0s)" };
    public readonly Option<int?> HealthRetries = new("--health-retries") { Description = "Consecutive failures needed to report unhealthy" };
    public readonly Option<string?> HealthStartInterval = new("--health-start-interval") { Description = "Time between running the check during the start period (ms|s|m|h) (default 0s)" };
    public readonly Option<string?> HealthStartPeriod = new("--health-start-period") { Description = "Start period for the container to initialize before starting health-retries countdown (ms|s|m|h) (default 0s)" };
    public readonly Option<string?> HealthTimeout = new("--health-timeout") { Description = "Maximum time to allow one check to run (ms|s|m|h) (default 0s)" };
    public readonly Option<bool> NoHealthcheck = new("--no-healthcheck") { Description = "Disable any container-specified HEALTHCHECK" };
    public readonly Option<string[]> AddHost = new("--add-host") { Description = "Add a custom host-to-IP mapping (host:ip)" };
    public readonly Option<string[]> Dns = new("--dns") { Description = "Set custom DNS servers" };
    public readonly Option<string[]> DnsSearch = new("--dns-search") { Description = "Set custom DNS search domains" };
    public readonly Option<string[]> DnsOption = new("--dns-option", "--dns-opt") { Description = "Set DNS options" };
    public readonly Option<string[]> Ulimit = new("--ulimit") { Description = "Ulimit options (name=soft[:hard])" };
    public readonly Option<string[]> Sysctl = new("--sysctl") { Description = "Sysctl options (name=value)" };
    public readonly Option<string?> ShmSize = new("--shm-size") { Description = "Size of /dev/shm (default 64MB)" };
    public readonly Option<long?> CpuShares = new("--cpu-shares", "-c") { Description = "CPU shares (relative weight)" };
    public readonly Option<string?> CpusetCpus = new("--cpuset-cpus") { Description = "CPUs in which to allow execution (0-3, 0,1)" };
    public readonly Option<string?> CpusetMems = new("--cpuset-mems") { Description = "MEMs in which to allow execution (0-3, 0,1)" };
    public readonly Option<string?> Pid = new("--pid") { Description = "PID namespace to use (host, container:NAME)" };
    public readonly Option<string?> Ipc = new("--ipc") { Description = "IPC mode to use (private, shareable, none, host)" };
    public readonly Option<string?> Uts = new("--uts") { Description = "UTS namespace to use (host)" };
    public readonly Option<string[]> Expose = new("--expose") { Description = "Expose a port or a range of ports" };
    public readonly Option<bool> PublishAll = new("--publish-all", "-P") { Description = "Publish all exposed ports to random ports (on 127.0.0.1)" };
    public readonly Option<string?> MemorySwap = new("--memory-swap") { Description = "Swap limit equal to memory plus swap: '-1' to enable unlimited swap" };
    public readonly Option<string?> MemoryReservation = new("--memory-reservation") { Description = "Memory soft limit" };
    public readonly Option<string?> Restart = new("--restart") { Description = "Restart policy to apply when a container exits (no, always, unless-stopped, on-failure[:max-retries])" };
    public readonly Option<string[]> Mount = new("--mount") { Description = "Attach a filesystem mount to the container (type=bind|volume|tmpfs,source=…,target=…)" };
    public readonly Option<string[]> Device = new("--device") { Description = "Add a host device to the container (host[:container][:rwm])" };
    public readonly Option<string[]> DeviceCgroupRule = new("--device-cgroup-rule") { Description = "Add a rule to the cgroup allowed devices list (\"c 1:3 rwm\")" };
    public readonly Option<bool> OomKillDisable = new("--oom-kill-disable") { Description = "Disable OOM Killer" };
    public readonly Option<ushort> BlkioWeight = new("--blkio-weight") { Description = "Block IO (relative weight), between 10 and 1000, or 0 to disable (default 0)" };
    public readonly Option<string[]> BlkioWeightDevice = new("--blkio-weight-device") { Description = "Block IO weight (relative device weight) (DEVICE:WEIGHT)" };
    public readonly Option<string[]> DeviceReadBps = new("--device-read-bps") { Description = "Limit read rate (bytes per second) from a device (DEVICE:RATE, e.g. /dev/sda:1mb)" };
    public readonly Option<string[]> DeviceWriteBps = new("--device-write-bps") { Description = "Limit write rate (bytes per second) to a device (DEVICE:RATE)" };
    public readonly Option<string[]> DeviceReadIops = new("--device-read-iops") { Description = "Limit read rate (IO per second) from a device (DEVICE:NUMBER)" };
    public readonly Option<string[]> DeviceWriteIops = new("--device-write-iops") { Description = "Limit write rate (IO per second) to a device (DEVICE:NUMBER)" };
    public readonly Argument<string> Image = new("IMAGE");
    public readonly Argument<string[]> Command = new("COMMAND") { Arity = ArgumentArity.ZeroOrMore };

    public void AddTo(Command command)
    {
        foreach (var o in new Option[] { Name, Hostname, Env, EnvFile, Workdir, User, Entrypoint, Volume, Tmpfs, ReadOnly, Network, Memory, Cpus,
                     PidsLimit, CapAdd, CapDrop, SecurityOpt, Privileged, Init, Label, StopSignal, StopTimeout, Runtime, Publish, Tty, Interactive, Remove,
                     HealthCmd, HealthInterval, HealthRetries, HealthStartInterval, HealthStartPeriod, HealthTimeout, NoHealthcheck,
                     AddHost, Dns, DnsSearch, DnsOption, Ulimit, Sysctl, ShmSize, CpuShares, CpusetCpus, CpusetMems, Pid, Ipc, Uts,
                     Expose, PublishAll, MemorySwap, MemoryReservation, Restart, Mount, Device, DeviceCgroupRule, OomKillDisable,
                     BlkioWeight, BlkioWeightDevice, DeviceReadBps, DeviceWriteBps, DeviceReadIops, DeviceWriteIops })
            command.Add(o);
        command.Add(Image);
        command.Add(Command);
    }

    /// <summary>What the docker CLI warns of before it creates the container (on stderr; the container is created anyway).</summary>
    public IEnumerable<string> Warnings(ParseResult parse)
    {
        if (parse.GetValue(OomKillDisable) && parse.GetValue(Memory) is null)
            yield return "WARNING: Disabling the OOM killer on containers without setting a '-m/--memory' limit may be dangerous.";
    }

    public ContainerCreateRequest Request(ParseResult parse, bool detach) => new()
    {
        Image = parse.GetValue(Image)!,
        Command = parse.GetValue(Command) ?? [],
        Name = parse.GetValue(Name),
        Hostname = parse.GetValue(Hostname),
        Env = parse.GetValue(Env) ?? [],
        EnvFiles = parse.GetValue(EnvFile) ?? [],
        WorkingDir = parse.GetValue(Workdir),
        User = parse.GetValue(User),
        Entrypoint = parse.GetValue(Entrypoint),
        Volumes = parse.GetValue(Volume) ?? [],
        Tmpfs = parse.GetValue(Tmpfs) ?? [],
        ReadOnly = parse.GetValue(ReadOnly),
        Network = parse.GetValue(Network) ?? "default",
        Memory = parse.GetValue(Memory),
        Cpus = parse.GetValue(Cpus),
        PidsLimit = parse.GetValue(PidsLimit),
        CapAdd = parse.GetValue(CapAdd) ?? [],
        CapDrop = parse.GetValue(CapDrop) ?? [],
        SecurityOpt = parse.GetValue(SecurityOpt) ?? [],
        Privileged = parse.GetValue(Privileged),
        Init = parse.GetValue(Init),
        Labels = parse.GetValue(Label) ?? [],
        StopSignal = parse.GetValue(StopSignal),
        StopTimeout = parse.GetValue(StopTimeout),
        Runtime = parse.GetValue(Runtime) ?? "runc",
        Publish = parse.GetValue(Publish) ?? [],
        Tty = parse.GetValue(Tty),
        Interactive = parse.GetValue(Interactive),
        Detach = detach,
        AutoRemove = parse.GetValue(Remove),
        Healthcheck = new HealthcheckOptions
        {
            Cmd = parse.GetValue(HealthCmd),
            Interval = parse.GetValue(HealthInterval),
            Timeout = parse.GetValue(HealthTimeout),
            StartPeriod = parse.GetValue(HealthStartPeriod),
            StartInterval = parse.GetValue(HealthStartInterval),
            Retries = parse.GetValue(HealthRetries),
            Disable = parse.GetValue(NoHealthcheck),
        },
        ExtraHosts = parse.GetValue(AddHost) ?? [],
        Dns = parse.GetValue(Dns) ?? [],
        DnsSearch = parse.GetValue(DnsSearch) ?? [],
        DnsOptions = parse.GetValue(DnsOption) ?? [],
        Ulimits = parse.GetValue(Ulimit) ?? [],
        Sysctls = parse.GetValue(Sysctl) ?? [],
        ShmSize = parse.GetValue(ShmSize),
        CpuShares = parse.GetValue(CpuShares),
        CpusetCpus = parse.GetValue(CpusetCpus),
        CpusetMems = parse.GetValue(CpusetMems),
        Pid = parse.GetValue(Pid),
        Ipc = parse.GetValue(Ipc),
        Uts = parse.GetValue(Uts),
        Expose = parse.GetValue(Expose) ?? [],
        PublishAll = parse.GetValue(PublishAll),
        MemorySwap = parse.GetValue(MemorySwap),
        MemoryReservation = parse.GetValue(MemoryReservation),
        Restart = parse.GetValue(Restart),
        Mounts = parse.GetValue(Mount) ?? [],
        Devices = parse.GetValue(Device) ?? [],
        DeviceCgroupRules = parse.GetValue(DeviceCgroupRule) ?? [],
        OomKillDisable = parse.GetValue(OomKillDisable),
        BlkioWeight = parse.GetValue(BlkioWeight),
        BlkioWeightDevices = parse.GetValue(BlkioWeightDevice) ?? [],
        DeviceReadBps = parse.GetValue(DeviceReadBps) ?? [],
        DeviceWriteBps = parse.GetValue(DeviceWriteBps) ?? [],
        DeviceReadIops = parse.GetValue(DeviceReadIops) ?? [],
        DeviceWriteIops = parse.GetValue(DeviceWriteIops) ?? [],
    };
}
