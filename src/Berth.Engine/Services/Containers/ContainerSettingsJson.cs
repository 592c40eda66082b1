using System.Text.Json;
using Berth.Engine.Containers.Ports;
using Berth.Engine.Images;
using Berth.Engine.Json;
using static Berth.Engine.Json.JsonMembers;

namespace Berth.Engine.Services.Containers;

/// <summary>
/// <see cref="ContainerSettings"/> as stored in a container's row, read and written by hand, byte for byte as
/// <see cref="ContainerJsonContext"/> does (names matched case-insensitively when read).
/// </summary>
/// <remarks>Every container command reads its container's row; why not through the serializer: see <see cref="ContainerConfigJson"/>.</remarks>
public static class ContainerSettingsJson
{
    public static string Write(ContainerSettings settings) => System.Text.Encoding.UTF8.GetString(WriteUtf8(settings));

    public static byte[] WriteUtf8(ContainerSettings settings)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(2048);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            StringUnlessNull(writer, "ImageName", settings.ImageName);
            StringUnlessNull(writer, "Path", settings.Path);
            StringsUnlessNull(writer, "Args", settings.Args);
            if (settings.Config is not null)
            {
                writer.WritePropertyName("Config");
                ContainerConfigJson.Write(writer, settings.Config);
            }
            if (settings.HostConfig is not null) WriteHost(writer, settings.HostConfig);
            Objects(writer, "Mounts", settings.Mounts, WriteMount);
            Objects(writer, "Ports", settings.Ports, WritePort);
            writer.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    public static ContainerSettings Read(string json) => Read(System.Text.Encoding.UTF8.GetBytes(json));

    public static ContainerSettings Read(ReadOnlySpan<byte> utf8Json)
    {
        var reader = new Utf8JsonReader(utf8Json);
        JsonValues.Next(ref reader);
        if (reader.TokenType == JsonTokenType.Null) throw new InvalidInputException("empty container settings");
        JsonValues.StartObject(ref reader);
        // Gathered first and the record made once, as ReadHost does: a `with` per property copied the record each time.
        string imageName = "", path = "";
        IReadOnlyList<string> args = [];
        ContainerConfig config = ContainerConfig.Default;
        HostSettings host = HostSettings.Default;
        IReadOnlyList<ContainerMount> mounts = [];
        IReadOnlyList<PortBinding> ports = [];
        while (JsonValues.NextPropertyKey(ref reader) is { } name)
        {
            switch (name)
            {
                case "IMAGENAME": imageName = JsonValues.String(ref reader)!; break;
                case "PATH": path = JsonValues.String(ref reader)!; break;
                case "ARGS": args = JsonValues.StringList(ref reader)!; break;
                case "CONFIG": config = ContainerConfigJson.Read(ref reader)!; break;
                case "HOSTCONFIG": host = ReadHost(ref reader)!; break;
                case "MOUNTS": mounts = ReadList(ref reader, ReadMount)!; break;
                case "PORTS": ports = ReadList(ref reader, ReadPort)!; break;
                default: reader.Skip(); break;
            }
        }
        return new ContainerSettings { ImageName = imageName, Path = path, Args = args, Config = config, HostConfig = host, Mounts = mounts, Ports = ports };
    }

    static void WriteHost(Utf8JsonWriter writer, HostSettings host)
    {
        writer.WriteStartObject("HostConfig");
        StringsUnlessNull(writer, "Binds", host.Binds);
        StringUnlessNull(writer, "NetworkMode", host.NetworkMode);
        writer.WriteBoolean("AutoRemove", host.AutoRemove);
        writer.WriteBoolean("Privileged", host.Privileged);
        writer.WriteBoolean("ReadonlyRootfs", host.ReadonlyRootfs);
        StringsUnlessNull(writer, "CapAdd", host.CapAdd);
        StringsUnlessNull(writer, "CapDrop", host.CapDrop);
        StringsUnlessNull(writer, "SecurityOpt", host.SecurityOpt);
        writer.WriteNumber("Memory", host.Memory);
        writer.WriteNumber("NanoCpus", host.NanoCpus);
        if (host.PidsLimit is { } pids) writer.WriteNumber("PidsLimit", pids);
        MapUnlessNull(writer, "Tmpfs", host.Tmpfs);
        writer.WriteBoolean("Init", host.Init);
        StringUnlessNull(writer, "Runtime", host.Runtime);
        StringsUnlessNull(writer, "ExtraHosts", host.ExtraHosts);
        StringsUnlessNull(writer, "Dns", host.Dns);
        StringsUnlessNull(writer, "DnsSearch", host.DnsSearch);
        StringsUnlessNull(writer, "DnsOptions", host.DnsOptions);
        Objects(writer, "Ulimits", host.Ulimits, static (w, limit) =>
        {
            w.WriteStartObject();
            StringUnlessNull(w, "Name", limit.Name);
            w.WriteNumber("Soft", limit.Soft);
            w.WriteNumber("Hard", limit.Hard);
            w.WriteEndObject();
        });
        MapUnlessNull(writer, "Sysctls", host.Sysctls);
        writer.WriteNumber("ShmSize", host.ShmSize);
        writer.WriteNumber("CpuShares", host.CpuShares);
        StringUnlessNull(writer, "CpusetCpus", host.CpusetCpus);
        StringUnlessNull(writer, "CpusetMems", host.CpusetMems);
        StringUnlessNull(writer, "PidMode", host.PidMode);
        StringUnlessNull(writer, "IpcMode", host.IpcMode);
        StringUnlessNull(writer, "UTSMode", host.UTSMode);
        writer.WriteBoolean("PublishAllPorts", host.PublishAllPorts);
        writer.WriteNumber("MemorySwap", host.MemorySwap);
        writer.WriteNumber("MemoryReservation", host.MemoryReservation);
        Objects(writer, "Devices", host.Devices, static (w, device) =>
        {
            w.WriteStartObject();
            StringUnlessNull(w, "PathOnHost", device.PathOnHost);
            StringUnlessNull(w, "PathInContainer", device.PathInContainer);
            StringUnlessNull(w, "CgroupPermissions", device.CgroupPermissions);
            w.WriteEndObject();
        });
        StringsUnlessNull(writer, "DeviceCgroupRules", host.DeviceCgroupRules);
        writer.WriteBoolean("OomKillDisable", host.OomKillDisable);
        writer.WriteNumber("BlkioWeight", host.BlkioWeight);
        Objects(writer, "BlkioWeightDevice", host.BlkioWeightDevice, static (w, device) =>
        {
            w.WriteStartObject();
            StringUnlessNull(w, "Path", device.Path);
            w.WriteNumber("Weight", device.Weight);
            w.WriteEndObject();
        });
        WriteThrottles(writer, "BlkioDeviceReadBps", host.BlkioDeviceReadBps);
        WriteThrottles(writer, "BlkioDeviceWriteBps", host.BlkioDeviceWriteBps);
        WriteThrottles(writer, "BlkioDeviceReadIOps", host.BlkioDeviceReadIOps);
        WriteThrottles(writer, "BlkioDeviceWriteIOps", host.BlkioDeviceWriteIOps);
        if (host.RestartPolicy is { } restart)
        {
            writer.WriteStartObject("RestartPolicy");
            StringUnlessNull(writer, "Name", restart.Name);
            writer.WriteNumber("MaximumRetryCount", restart.MaximumRetryCount);
            writer.WriteEndObject();
        }
        writer.WriteEndObject();
    }

    static void WriteThrottles(Utf8JsonWriter writer, string name, IReadOnlyList<BlkioThrottleDevice> devices) =>
        Objects(writer, name, devices, static (w, device) =>
        {
            w.WriteStartObject();
            StringUnlessNull(w, "Path", device.Path);
            w.WriteNumber("Rate", device.Rate);
            w.WriteEndObject();
        });

    static BlkioWeightDevice ReadWeightDevice(ref Utf8JsonReader reader)
    {
        JsonValues.StartObject(ref reader);
        string? path = null;
        ushort weight = 0;
        while (JsonValues.NextPropertyKey(ref reader) is { } property)
        {
            switch (property)
            {
                case "PATH": path = JsonValues.String(ref reader); break;
                case "WEIGHT": weight = JsonValues.UInt16(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new BlkioWeightDevice(path!, weight);
    }

    static BlkioThrottleDevice ReadThrottleDevice(ref Utf8JsonReader reader)
    {
        JsonValues.StartObject(ref reader);
        string? path = null;
        ulong rate = 0;
        while (JsonValues.NextPropertyKey(ref reader) is { } property)
        {
            switch (property)
            {
                case "PATH": path = JsonValues.String(ref reader); break;
                case "RATE": rate = JsonValues.UInt64(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new BlkioThrottleDevice(path!, rate);
    }

    static ContainerDevice ReadDevice(ref Utf8JsonReader reader)
    {
        JsonValues.StartObject(ref reader);
        string? host = null, container = null, permissions = null;
        while (JsonValues.NextPropertyKey(ref reader) is { } property)
        {
            switch (property)
            {
                case "PATHONHOST": host = JsonValues.String(ref reader); break;
                case "PATHINCONTAINER": container = JsonValues.String(ref reader); break;
                case "CGROUPPERMISSIONS": permissions = JsonValues.String(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new ContainerDevice(host!, container!, permissions!);
    }

    static ContainerRestartPolicy? ReadRestartPolicy(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        JsonValues.StartObject(ref reader);
        string? name = null;
        int count = 0;
        while (JsonValues.NextPropertyKey(ref reader) is { } property)
        {
            switch (property)
            {
                case "NAME": name = JsonValues.String(ref reader); break;
                case "MAXIMUMRETRYCOUNT": count = JsonValues.Int32(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new ContainerRestartPolicy(name!, count);
    }

    static ContainerUlimit ReadUlimit(ref Utf8JsonReader reader)
    {
        JsonValues.StartObject(ref reader);
        string? name = null;
        long soft = 0, hard = 0;
        while (JsonValues.NextPropertyKey(ref reader) is { } property)
        {
            switch (property)
            {
                case "NAME": name = JsonValues.String(ref reader); break;
                case "SOFT": soft = JsonValues.Int64(ref reader); break;
                case "HARD": hard = JsonValues.Int64(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new ContainerUlimit(name!, soft, hard);
    }

    /// <remarks>
    /// Values are gathered first and the record made once: a `with` per property copied the whole record each time
    /// (35 properties), which was most of what `ps -a` allocated for 500 containers.
    /// </remarks>
    static HostSettings? ReadHost(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        JsonValues.StartObject(ref reader);
        var defaults = HostSettings.Default;
        var binds = defaults.Binds;
        var networkMode = defaults.NetworkMode;
        var autoRemove = defaults.AutoRemove;
        var privileged = defaults.Privileged;
        var readonlyRootfs = defaults.ReadonlyRootfs;
        var capAdd = defaults.CapAdd;
        var capDrop = defaults.CapDrop;
        var securityOpt = defaults.SecurityOpt;
        var memory = defaults.Memory;
        var nanoCpus = defaults.NanoCpus;
        var pidsLimit = defaults.PidsLimit;
        var tmpfs = defaults.Tmpfs;
        var init = defaults.Init;
        var runtime = defaults.Runtime;
        var extraHosts = defaults.ExtraHosts;
        var dns = defaults.Dns;
        var dnsSearch = defaults.DnsSearch;
        var dnsOptions = defaults.DnsOptions;
        var ulimits = defaults.Ulimits;
        var sysctls = defaults.Sysctls;
        var shmSize = defaults.ShmSize;
        var cpuShares = defaults.CpuShares;
        var cpusetCpus = defaults.CpusetCpus;
        var cpusetMems = defaults.CpusetMems;
        var pidMode = defaults.PidMode;
        var ipcMode = defaults.IpcMode;
        var utsMode = defaults.UTSMode;
        var publishAllPorts = defaults.PublishAllPorts;
        var memorySwap = defaults.MemorySwap;
        var memoryReservation = defaults.MemoryReservation;
        var devices = defaults.Devices;
        var deviceCgroupRules = defaults.DeviceCgroupRules;
        var oomKillDisable = defaults.OomKillDisable;
        var blkioWeight = defaults.BlkioWeight;
        var blkioWeightDevice = defaults.BlkioWeightDevice;
        var blkioDeviceReadBps = defaults.BlkioDeviceReadBps;
        var blkioDeviceWriteBps = defaults.BlkioDeviceWriteBps;
        var blkioDeviceReadIOps = defaults.BlkioDeviceReadIOps;
        var blkioDeviceWriteIOps = defaults.BlkioDeviceWriteIOps;
        var restartPolicy = defaults.RestartPolicy;
        while (JsonValues.NextPropertyKey(ref reader) is { } name)
        {
            switch (name)
            {
                case "BINDS": binds = JsonValues.StringList(ref reader)!; break;
                case "NETWORKMODE": networkMode = JsonValues.String(ref reader)!; break;
                case "AUTOREMOVE": autoRemove = JsonValues.Boolean(ref reader); break;
                case "PRIVILEGED": privileged = JsonValues.Boolean(ref reader); break;
                case "READONLYROOTFS": readonlyRootfs = JsonValues.Boolean(ref reader); break;
                case "CAPADD": capAdd = JsonValues.StringList(ref reader)!; break;
                case "CAPDROP": capDrop = JsonValues.StringList(ref reader)!; break;
                case "SECURITYOPT": securityOpt = JsonValues.StringList(ref reader)!; break;
                case "MEMORY": memory = JsonValues.Int64(ref reader); break;
                case "NANOCPUS": nanoCpus = JsonValues.Int64(ref reader); break;
                case "PIDSLIMIT": pidsLimit = JsonValues.NullableInt64(ref reader); break;
                case "TMPFS": tmpfs = JsonValues.StringMap(ref reader)!; break;
                case "INIT": init = JsonValues.Boolean(ref reader); break;
                case "RUNTIME": runtime = JsonValues.String(ref reader)!; break;
                case "EXTRAHOSTS": extraHosts = JsonValues.StringList(ref reader)!; break;
                case "DNS": dns = JsonValues.StringList(ref reader)!; break;
                case "DNSSEARCH": dnsSearch = JsonValues.StringList(ref reader)!; break;
                case "DNSOPTIONS": dnsOptions = JsonValues.StringList(ref reader)!; break;
                case "ULIMITS": ulimits = ReadList(ref reader, ReadUlimit)!; break;
                case "SYSCTLS": sysctls = JsonValues.StringMap(ref reader)!; break;
                case "SHMSIZE": shmSize = JsonValues.Int64(ref reader); break;
                case "CPUSHARES": cpuShares = JsonValues.Int64(ref reader); break;
                case "CPUSETCPUS": cpusetCpus = JsonValues.String(ref reader)!; break;
                case "CPUSETMEMS": cpusetMems = JsonValues.String(ref reader)!; break;
                case "PIDMODE": pidMode = JsonValues.String(ref reader)!; break;
                case "IPCMODE": ipcMode = JsonValues.String(ref reader)!; break;
                case "UTSMODE": utsMode = JsonValues.String(ref reader)!; break;
                case "PUBLISHALLPORTS": publishAllPorts = JsonValues.Boolean(ref reader); break;
                case "MEMORYSWAP": memorySwap = JsonValues.Int64(ref reader); break;
                case "MEMORYRESERVATION": memoryReservation = JsonValues.Int64(ref reader); break;
                case "DEVICES": devices = ReadList(ref reader, ReadDevice)!; break;
                case "DEVICECGROUPRULES": deviceCgroupRules = JsonValues.StringList(ref reader) ?? []; break;
                case "OOMKILLDISABLE": oomKillDisable = JsonValues.Boolean(ref reader); break;
                case "BLKIOWEIGHT": blkioWeight = JsonValues.UInt16(ref reader); break;
                case "BLKIOWEIGHTDEVICE": blkioWeightDevice = ReadList(ref reader, ReadWeightDevice)!; break;
                case "BLKIODEVICEREADBPS": blkioDeviceReadBps = ReadList(ref reader, ReadThrottleDevice)!; break;
                case "BLKIODEVICEWRITEBPS": blkioDeviceWriteBps = ReadList(ref reader, ReadThrottleDevice)!; break;
                case "BLKIODEVICEREADIOPS": blkioDeviceReadIOps = ReadList(ref reader, ReadThrottleDevice)!; break;
                case "BLKIODEVICEWRITEIOPS": blkioDeviceWriteIOps = ReadList(ref reader, ReadThrottleDevice)!; break;
                case "RESTARTPOLICY": restartPolicy = ReadRestartPolicy(ref reader)!; break;
                default: reader.Skip(); break;
            }
        }
        return new HostSettings
        {
            Binds = binds,
            NetworkMode = networkMode,
            AutoRemove = autoRemove,
            Privileged = privileged,
            ReadonlyRootfs = readonlyRootfs,
            CapAdd = capAdd,
            CapDrop = capDrop,
            SecurityOpt = securityOpt,
            Memory = memory,
            NanoCpus = nanoCpus,
            PidsLimit = pidsLimit,
            Tmpfs = tmpfs,
            Init = init,
            Runtime = runtime,
            ExtraHosts = extraHosts,
            Dns = dns,
            DnsSearch = dnsSearch,
            DnsOptions = dnsOptions,
            Ulimits = ulimits,
            Sysctls = sysctls,
            ShmSize = shmSize,
            CpuShares = cpuShares,
            CpusetCpus = cpusetCpus,
            CpusetMems = cpusetMems,
            PidMode = pidMode,
            IpcMode = ipcMode,
            UTSMode = utsMode,
            PublishAllPorts = publishAllPorts,
            MemorySwap = memorySwap,
            MemoryReservation = memoryReservation,
            Devices = devices,
            DeviceCgroupRules = deviceCgroupRules,
            OomKillDisable = oomKillDisable,
            BlkioWeight = blkioWeight,
            BlkioWeightDevice = blkioWeightDevice,
            BlkioDeviceReadBps = blkioDeviceReadBps,
            BlkioDeviceWriteBps = blkioDeviceWriteBps,
            BlkioDeviceReadIOps = blkioDeviceReadIOps,
            BlkioDeviceWriteIOps = blkioDeviceWriteIOps,
            RestartPolicy = restartPolicy,
        };
    }

    static void WriteMount(Utf8JsonWriter writer, ContainerMount mount)
    {
        writer.WriteStartObject();
        StringUnlessNull(writer, "Type", mount.Type);
        StringUnlessNull(writer, "Source", mount.Source);
        StringUnlessNull(writer, "Destination", mount.Destination);
        writer.WriteBoolean("ReadWrite", mount.ReadWrite);
        StringUnlessNull(writer, "Name", mount.Name);
        writer.WriteBoolean("Anonymous", mount.Anonymous);
        StringUnlessNull(writer, "Options", mount.Options);
        writer.WriteEndObject();
    }

    static ContainerMount ReadMount(ref Utf8JsonReader reader)
    {
        JsonValues.StartObject(ref reader);
        string? type = null, source = null, destination = null, volume = null;
        string options = "";
        bool readWrite = false, anonymous = false;
        while (JsonValues.NextPropertyKey(ref reader) is { } name)
        {
            switch (name)
            {
                case "TYPE": type = JsonValues.String(ref reader); break;
                case "SOURCE": source = JsonValues.String(ref reader); break;
                case "DESTINATION": destination = JsonValues.String(ref reader); break;
                case "READWRITE": readWrite = JsonValues.Boolean(ref reader); break;
                case "NAME": volume = JsonValues.String(ref reader); break;
                case "ANONYMOUS": anonymous = JsonValues.Boolean(ref reader); break;
                case "OPTIONS": options = JsonValues.String(ref reader)!; break;
                default: reader.Skip(); break;
            }
        }
        return new ContainerMount(type!, source!, destination!, readWrite, volume, anonymous, options);
    }

    static void WritePort(Utf8JsonWriter writer, PortBinding port)
    {
        writer.WriteStartObject();
        StringUnlessNull(writer, "HostIp", port.HostIp);
        writer.WriteNumber("HostPort", port.HostPort);
        writer.WriteNumber("ContainerPort", port.ContainerPort);
        StringUnlessNull(writer, "Protocol", port.Protocol);
        writer.WriteEndObject();
    }

    static PortBinding ReadPort(ref Utf8JsonReader reader)
    {
        JsonValues.StartObject(ref reader);
        string? hostIp = null, protocol = null;
        int hostPort = 0, containerPort = 0;
        while (JsonValues.NextPropertyKey(ref reader) is { } name)
        {
            switch (name)
            {
                case "HOSTIP": hostIp = JsonValues.String(ref reader); break;
                case "HOSTPORT": hostPort = JsonValues.Int32(ref reader); break;
                case "CONTAINERPORT": containerPort = JsonValues.Int32(ref reader); break;
                case "PROTOCOL": protocol = JsonValues.String(ref reader); break;
                default: reader.Skip(); break;
            }
        }
        return new PortBinding(hostIp!, hostPort, containerPort, protocol!);
    }

    delegate T ItemReader<T>(ref Utf8JsonReader reader);

    static List<T>? ReadList<T>(ref Utf8JsonReader reader, ItemReader<T> item)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartArray) throw JsonValues.Unexpected(ref reader, "an array");
        var list = new List<T>();
        while (JsonValues.Next(ref reader) != JsonTokenType.EndArray) list.Add(item(ref reader));
        return list;
    }
}
