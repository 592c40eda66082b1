using System.Text.Json;
using Berth.Engine.Runtime;
using static Berth.Tests.Support.RecordFiller;

namespace Berth.Tests.Runtime;

/// <summary>config.json written by hand against the source-generated serializer it stands in for: the same bytes.</summary>
public class RuntimeSpecJsonTests
{
    [Fact]
    public void A_spec_with_every_member_set_is_written_as_the_serializer_writes_it()
    {
        var spec = Filled<RuntimeSpec>();
        string expected = JsonSerializer.Serialize(spec, RuntimeSpecJsonContext.Default.RuntimeSpec);
        Assert.Contains("\"valueTwo\"", expected);
        Assert.Equal(expected, RuntimeSpecJson.Write(spec));
    }

    [Fact]
    public void A_spec_with_members_left_null_is_written_as_the_serializer_writes_it()
    {
        var spec = new RuntimeSpec
        {
            Process = new OciProcess { User = new OciUser(), Args = ["true"], Cwd = "/" },
            Root = new OciRoot("rootfs"),
            Linux = new OciLinux { Resources = new OciResources { Memory = new OciMemory(), Cpu = new OciCpu(), BlockIo = new OciBlockIo() }, Namespaces = [new OciNamespace("pid")] },
        };
        Assert.Equal(JsonSerializer.Serialize(spec, RuntimeSpecJsonContext.Default.RuntimeSpec), RuntimeSpecJson.Write(spec));
        Assert.Equal(JsonSerializer.Serialize(new RuntimeSpec(), RuntimeSpecJsonContext.Default.RuntimeSpec), RuntimeSpecJson.Write(new RuntimeSpec()));
    }

    [Fact]
    public void What_is_written_reads_back_through_the_serializer()
    {
        var spec = Filled<RuntimeSpec>();
        Assert.Equal(RuntimeSpecJson.Write(spec), RuntimeSpecJson.Write(RuntimeSpec.FromJson(RuntimeSpecJson.Write(spec))));
    }
}
