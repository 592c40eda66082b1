using Berth.Engine;
using Berth.Engine.Services.Containers;

namespace Berth.Tests.Containers;

/// <summary>--add-host, --dns*, --ulimit, --sysctl, --shm-size, --cpuset-* and the namespace modes: Docker's forms and errors.</summary>
public class HostFlagParsersTests
{
    [Theory]
    [InlineData("db:203.0.113.7", "db:203.0.113.7")]
    [InlineData("db=203.0.113.7", "db:203.0.113.7")]
    [InlineData("v6=::1", "v6:::1")]
    [InlineData("v6:[2001:db8::1]", "v6:2001:db8::1")]
    [InlineData("gw:host-gateway", "gw:host-gateway")]
    public void Add_host_values_become_docker_name_colon_address(string value, string expected) =>
        Assert.Equal(expected, HostFlagParsers.ExtraHost(value));

    [Theory]
    [InlineData("nohost", "bad format for add-host: \"nohost\"")]
    [InlineData(":203.0.113.7", "bad format for add-host")]
    [InlineData("db:not-an-ip", "invalid IP address in add-host: \"not-an-ip\"")]
    [InlineData("db=", "invalid IP address in add-host: \"\"")]
    public void Bad_add_host_values_are_refused(string value, string message)
    {
        var e = Assert.Throws<InvalidInputException>(() => HostFlagParsers.ExtraHost(value));
        Assert.Contains(message, e.Message);
        Assert.Contains("--add-host", e.Message);
    }

    [Fact]
    public void Host_gateway_is_the_hosts_loopback_in_the_host_network_and_refused_elsewhere()
    {
        Assert.Equal("127.0.0.1", HostFlagParsers.HostGatewayAddress("host"));
        Assert.Contains("no route to the host", Assert.Throws<InvalidInputException>(() => HostFlagParsers.HostGatewayAddress("none")).Message);
    }

    [Fact]
    public void Dns_servers_must_be_addresses_and_search_domains_names()
    {
        Assert.Equal("203.0.113.53", HostFlagParsers.DnsServer("203.0.113.53"));
        Assert.Contains("IP address is not correctly formatted: dns.example", Assert.Throws<InvalidInputException>(() => HostFlagParsers.DnsServer("dns.example")).Message);
        Assert.Equal("example.com", HostFlagParsers.DnsSearch("example.com."));
        Assert.Equal(".", HostFlagParsers.DnsSearch("."));
        Assert.Contains("is not a valid domain", Assert.Throws<InvalidInputException>(() => HostFlagParsers.DnsSearch("bad domain")).Message);
    }

    [Theory]
    [InlineData("nofile=1024:2048", "nofile", 1024, 2048)]
    [InlineData("nproc=512", "nproc", 512, 512)]
    [InlineData("core=-1", "core", -1, -1)]
    [InlineData("memlock=64:-1", "memlock", 64, -1)]
    public void Ulimits_take_soft_and_optional_hard(string value, string name, long soft, long hard) =>
        Assert.Equal(new ContainerUlimit(name, soft, hard), HostFlagParsers.Ulimit(value));

    [Theory]
    [InlineData("nofile", "invalid ulimit argument: nofile")]
    [InlineData("files=10", "invalid ulimit type: files")]
    [InlineData("nofile=2048:1024", "ulimit soft limit must be less than or equal to hard limit: 2048 > 1024")]
    [InlineData("nofile=1:2:3", "too many limit value arguments - 1:2:3, can only have up to two, `soft[:hard]`")]
    [InlineData("nofile=ten", "strconv.ParseInt: parsing \"ten\": invalid syntax")]
    public void Bad_ulimits_are_refused_with_dockers_words(string value, string message) =>
        Assert.Contains(message, Assert.Throws<InvalidInputException>(() => HostFlagParsers.Ulimit(value)).Message);

    [Theory]
    [InlineData("net.ipv4.tcp_syncookies=0", "net.ipv4.tcp_syncookies", "0")]
    [InlineData("kernel.shmmax=1048576", "kernel.shmmax", "1048576")]
    [InlineData("fs.mqueue.msg_max=20", "fs.mqueue.msg_max", "20")]
    [InlineData("kernel.sem=250 32000 32 128", "kernel.sem", "250 32000 32 128")]
    public void Namespaced_sysctls_are_allowed(string value, string name, string setting) =>
        Assert.Equal((name, setting), HostFlagParsers.Sysctl(value, "none", "private"));

    [Fact]
    public void Other_sysctls_and_those_of_a_namespace_shared_with_the_host_are_refused()
    {
        Assert.Contains("sysctl 'kernel.hostname=x' is not allowed", Assert.Throws<InvalidInputException>(() => HostFlagParsers.Sysctl("kernel.hostname=x", "none", "private")).Message);
        Assert.Contains("sysctl 'net.ipv4.tcp_syncookies' is not allowed", Assert.Throws<InvalidInputException>(() => HostFlagParsers.Sysctl("net.ipv4.tcp_syncookies", "none", "private")).Message);
        Assert.Equal("sysctl 'net.ipv4.tcp_syncookies' is not allowed in host network mode",
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.Sysctl("net.ipv4.tcp_syncookies=0", "host", "private")).Message);
        Assert.Equal("sysctl 'net.ipv4.tcp_syncookies' is not allowed in container network mode",
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.Sysctl("net.ipv4.tcp_syncookies=0", "container:" + new string('a', 64), "private")).Message);
        Assert.Equal("sysctl 'kernel.shmmax' is not allowed in host IPC mode",
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.Sysctl("kernel.shmmax=1", "none", "host")).Message);
    }

    [Fact]
    public void Shm_size_is_a_size_and_zero_means_dockers_default()
    {
        Assert.Equal(128L * 1024 * 1024, HostFlagParsers.ShmSize("128m"));
        Assert.Equal(HostSettings.DefaultShmSize, HostFlagParsers.ShmSize("0"));
        Assert.Contains("invalid argument \"lots\" for \"--shm-size\" flag", Assert.Throws<InvalidInputException>(() => HostFlagParsers.ShmSize("lots")).Message);
    }

    [Fact]
    public void Cpusets_must_be_lists_of_what_the_host_has()
    {
        Assert.Equal("0-1", HostFlagParsers.Cpuset("0-1", "cpus", "0-3"));
        Assert.Equal("0,2", HostFlagParsers.Cpuset("0,2", "cpus", "0-3"));
        Assert.Equal("Requested CPUs are not available - requested 0-7, available: 0-1",
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.Cpuset("0-7", "cpus", "0-1")).Message);
        Assert.Equal("Requested memory nodes are not available - requested 1, available: 0",
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.Cpuset("1", "mems", "0")).Message);
        Assert.Equal("Invalid value 3-1 for cpuset cpus: invalid format: 3-1",
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.Cpuset("3-1", "cpus", "0-3")).Message);
    }

    [Theory]
    [InlineData("/dev/fuse", "/dev/fuse", "/dev/fuse", "rwm")]
    [InlineData("/dev/fuse:r", "/dev/fuse", "/dev/fuse", "r")]
    [InlineData("/dev/fuse:/dev/f", "/dev/fuse", "/dev/f", "rwm")]
    [InlineData("/dev/fuse:/dev/f:rw", "/dev/fuse", "/dev/f", "rw")]
    public void Devices_take_an_optional_container_path_and_permissions(string value, string host, string container, string permissions) =>
        Assert.Equal(new ContainerDevice(host, container, permissions), HostFlagParsers.Device(value));

    [Theory]
    [InlineData("/dev/fuse:rx", "bad format for path: rx")]
    [InlineData("/dev/fuse:/dev/f:rx", "bad mode specified: rx")]
    [InlineData("/dev/a:/dev/b:r:w", "invalid device specification: /dev/a:/dev/b:r:w")]
    public void Bad_devices_are_refused(string value, string message) =>
        Assert.Contains(message, Assert.Throws<InvalidInputException>(() => HostFlagParsers.Device(value)).Message);

    [Fact]
    public void Device_cgroup_rules_are_dockers_syntax()
    {
        Assert.Equal(new Berth.Engine.Runtime.OciDeviceRule(true, "c", 1, 3, "rwm"), HostFlagParsers.DeviceCgroupRule("c 1:3 rwm"));
        Assert.Equal(new Berth.Engine.Runtime.OciDeviceRule(true, "b", 8, null, "r"), HostFlagParsers.DeviceCgroupRule("b 8:* r"));
        Assert.Equal(new Berth.Engine.Runtime.OciDeviceRule(true, "a", null, null, "m"), HostFlagParsers.DeviceCgroupRule("a *:* m"));
        foreach (var bad in new[] { "c 1:3", "x 1:3 r", "c 1:3 rx", "c a:3 r", "c 1:3 rwmr", " c 1:3 r" })
            Assert.Equal($"invalid device cgroup format '{bad}'", Assert.Throws<InvalidInputException>(() => HostFlagParsers.DeviceCgroupRule(bad)).Message);
    }

    [Fact]
    public void Block_io_flags_are_the_docker_clis_syntax()
    {
        Assert.Equal(new BlkioWeightDevice("/dev/sda", 300), HostFlagParsers.WeightDevice("/dev/sda:300"));
        Assert.Equal(new BlkioWeightDevice("/dev/sda", 0), HostFlagParsers.WeightDevice("/dev/sda:0"));
        Assert.Equal(new BlkioThrottleDevice("/dev/sda", 1 << 20), HostFlagParsers.ThrottleBpsDevice("/dev/sda:1mb", "--device-read-bps"));
        Assert.Equal(new BlkioThrottleDevice("/dev/vdb", 1536), HostFlagParsers.ThrottleBpsDevice("/dev/vdb:1.5k", "--device-write-bps"));
        Assert.Equal(new BlkioThrottleDevice("/dev/sda", 1000), HostFlagParsers.ThrottleIopsDevice("/dev/sda:1000", "--device-read-iops"));
        // The path ends at the first colon, as the docker CLI cuts it.
        Assert.Throws<InvalidInputException>(() => HostFlagParsers.ThrottleIopsDevice("/dev/disk/by-id/x:y:7", "--device-write-iops"));
    }

    [Theory]
    [InlineData("sda:300", "bad format for device path: sda:300")]
    [InlineData("/dev/sda", "bad format: /dev/sda")]
    [InlineData(":300", "bad format: :300")]
    [InlineData("/dev/sda:5", "invalid weight for device: /dev/sda:5")]
    [InlineData("/dev/sda:1001", "invalid weight for device: /dev/sda:1001")]
    [InlineData("/dev/sda:70000", "invalid weight for device: /dev/sda:70000")]
    [InlineData("/dev/sda:-1", "invalid weight for device: /dev/sda:-1")]
    public void Bad_weight_devices_get_the_docker_clis_errors(string value, string why) =>
        Assert.Equal($"invalid argument \"{value}\" for \"--blkio-weight-device\" flag: {why}",
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.WeightDevice(value)).Message);

    [Fact]
    public void Bad_throttle_devices_get_the_docker_clis_errors()
    {
        const string bps = ". The correct format is <device-path>:<number>[<unit>]. Number must be a positive integer. Unit is optional and can be kb, mb, or gb";
        Assert.Equal("invalid argument \"/dev/sda:1xb\" for \"--device-read-bps\" flag: invalid rate for device: /dev/sda:1xb" + bps,
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.ThrottleBpsDevice("/dev/sda:1xb", "--device-read-bps")).Message);
        Assert.Equal("invalid argument \"/dev/sda:-1\" for \"--device-write-bps\" flag: invalid rate for device: /dev/sda:-1" + bps,
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.ThrottleBpsDevice("/dev/sda:-1", "--device-write-bps")).Message);
        Assert.Equal("invalid argument \"/dev/sda:1k\" for \"--device-read-iops\" flag: invalid rate for device: /dev/sda:1k. The correct format is <device-path>:<number>. Number must be a positive integer",
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.ThrottleIopsDevice("/dev/sda:1k", "--device-read-iops")).Message);
        Assert.Equal("invalid argument \"tmp:1\" for \"--device-write-iops\" flag: bad format for device path: tmp:1",
            Assert.Throws<InvalidInputException>(() => HostFlagParsers.ThrottleIopsDevice("tmp:1", "--device-write-iops")).Message);
    }

    [Fact]
    public void Namespace_modes_are_docker_values()
    {
        Assert.Equal("", HostFlagParsers.PidMode(null));
        Assert.Equal("host", HostFlagParsers.PidMode("host"));
        Assert.Equal("--pid: invalid PID mode", Assert.Throws<InvalidInputException>(() => HostFlagParsers.PidMode("shared")).Message);
        Assert.Equal("container:web", HostFlagParsers.PidMode("container:web")); // the name is resolved by create
        Assert.Equal("container:web", HostFlagParsers.IpcMode("container:web"));
        Assert.Equal("private", HostFlagParsers.IpcMode(null));
        foreach (var mode in new[] { "private", "shareable", "none", "host" }) Assert.Equal(mode, HostFlagParsers.IpcMode(mode));
        Assert.Equal("invalid IPC mode: public", Assert.Throws<InvalidInputException>(() => HostFlagParsers.IpcMode("public")).Message);
        Assert.Equal("host", HostFlagParsers.UtsMode("host"));
        Assert.Equal("--uts: invalid UTS mode", Assert.Throws<InvalidInputException>(() => HostFlagParsers.UtsMode("private")).Message);
    }
}

/// <summary>--memory-swap and --memory-reservation against --memory, with the Docker daemon's checks.</summary>
public class MemoryFlagsTests
{
    const long Mi = 1024 * 1024;

    [Fact]
    public void Swap_and_reservation_are_sizes_and_minus_one_is_unlimited_swap()
    {
        Assert.Equal((128 * Mi, 32 * Mi), RunFlagParsers.MemorySwapAndReservation(64 * Mi, "128m", "32m"));
        Assert.Equal((-1L, 0L), RunFlagParsers.MemorySwapAndReservation(64 * Mi, "-1", null));
        Assert.Equal((0L, 32 * Mi), RunFlagParsers.MemorySwapAndReservation(0, null, "32m"));
    }

    [Theory]
    [InlineData(0L, "128m", null, "You should always set the Memory limit when using Memoryswap limit, see usage")]
    [InlineData(64L, "32m", null, "Minimum memoryswap limit should be larger than memory limit, see usage")]
    [InlineData(64L, null, "128m", "Minimum memory limit can not be less than memory reservation limit, see usage")]
    [InlineData(0L, null, "1m", "Minimum memory reservation allowed is 6MB")]
    public void Dockers_checks_refuse_what_cannot_be_set(long memoryMi, string? swap, string? reservation, string message) =>
        Assert.Equal(message, Assert.Throws<InvalidInputException>(() => RunFlagParsers.MemorySwapAndReservation(memoryMi * Mi, swap, reservation)).Message);
}
