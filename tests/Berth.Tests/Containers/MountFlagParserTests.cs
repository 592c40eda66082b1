using Berth.Engine;
using Berth.Engine.Services.Containers;

namespace Berth.Tests.Containers;

/// <summary>--mount values: docker/cli's keys and defaults, and the daemon's checks on them.</summary>
public class MountFlagParserTests
{
    [Fact]
    public void Binds_volumes_and_tmpfs_read_as_docker_reads_them()
    {
        Assert.Equal(new MountFlag("bind", "/tmp", "/data", true, "rshared"),
            MountFlagParser.Parse("type=bind,source=/tmp,target=/data,readonly,bind-propagation=rshared"));
        Assert.Equal(new MountFlag("volume", "cache", "/cache", false, "nocopy"), MountFlagParser.Parse("src=cache,dst=/cache,volume-nocopy"));
        Assert.Equal(new MountFlag("volume", "", "/anon", true, ""), MountFlagParser.Parse("type=volume,destination=/anon,ro=true"));
        Assert.Equal(new MountFlag("tmpfs", "", "/scratch", false, "size=1048576,mode=1770"),
            MountFlagParser.Parse("type=tmpfs,target=/scratch,tmpfs-size=1m,tmpfs-mode=1770"));
        Assert.Equal(new MountFlag("bind", "/tmp", "/a,b", false, ""), MountFlagParser.Parse("type=bind,source=/tmp,\"target=/a,b\",readonly=false"));
    }

    [Theory]
    [InlineData("type=bind,target=/data", "invalid mount config for type \"bind\": field Source must not be empty")]
    [InlineData("type=bind,source=/no/such/dir/for/berth,target=/data", "invalid mount config for type \"bind\": bind source path does not exist: /no/such/dir/for/berth")]
    [InlineData("type=volume,source=v", "invalid mount config for type \"volume\": field Target must not be empty")]
    [InlineData("type=volume,source=v,target=data", "invalid mount config for type \"volume\": invalid mount path: 'data' mount path must be absolute")]
    [InlineData("type=tmpfs,source=x,target=/t", "invalid mount config for type \"tmpfs\": field Source must not be specified")]
    [InlineData("type=volume,source=v,target=/t,tmpfs-size=1m", "invalid mount config for type \"volume\": field TmpfsOptions must not be specified")]
    [InlineData("type=bind,source=/tmp,target=/t,size=1", "invalid argument \"type=bind,source=/tmp,target=/t,size=1\" for \"--mount\" flag: unexpected key 'size' in 'size=1'")]
    [InlineData("type=bind,source", "invalid argument \"type=bind,source\" for \"--mount\" flag: invalid field 'source' must be a key=value pair")]
    [InlineData("type=npipe,target=/t", "invalid argument \"type=npipe,target=/t\" for \"--mount\" flag: invalid mount type \"npipe\": only bind, volume and tmpfs are supported")]
    public void Bad_mounts_are_refused(string value, string message) =>
        Assert.Equal(message, Assert.Throws<InvalidInputException>(() => MountFlagParser.Parse(value)).Message);
}
