using System.Text;
using Berth.Engine;
using Berth.Engine.Images;
using Berth.Engine.Services.Containers;

namespace Berth.Tests.Images;

public class ImageJsonTests
{
    static ContainerConfig? Read(string json) =>
        ImageJson.ReadContainerConfig(Encoding.UTF8.GetBytes(json), "config of image x");

    [Fact]
    public void The_container_config_alone_reads_as_the_whole_image_config_does()
    {
        const string json = """
            {"architecture":"amd64","os":"linux","history":[{"created_by":"x"}],"rootfs":{"type":"layers","diff_ids":[]},
             "config":{"Env":["A=1"],"Cmd":["sh"],"WorkingDir":"/w","User":"1:2","Labels":{"k":"v"},"ExposedPorts":{"80/tcp":{}},
                       "Healthcheck":{"Test":["CMD","true"],"Interval":1000000000},"StopSignal":"SIGINT"}}
            """;
        var whole = ImageJson.ReadConfig(Encoding.UTF8.GetBytes(json)).Config!;
        var alone = Read(json)!;
        Assert.Equal(whole.Env, alone.Env);
        Assert.Equal(whole.Cmd, alone.Cmd);
        Assert.Equal("/w", alone.WorkingDir);
        Assert.Equal("1:2", alone.User);
        Assert.Equal("v", alone.Labels!["k"]);
        Assert.Equal(["80/tcp"], alone.ExposedPorts!.Keys);
        Assert.Equal(whole.Healthcheck!.Test, alone.Healthcheck!.Test);
        Assert.Equal("SIGINT", alone.StopSignal);
    }

    [Fact]
    public void Member_names_match_without_regard_to_case_as_gos_decoder_does()
    {
        Assert.Equal(["sh"], Read("""{"Config":{"cmd":["sh"]}}""")!.Cmd);
    }

    [Theory]
    [InlineData("""{"architecture":"amd64"}""")]
    [InlineData("""{"config":null}""")]
    public void A_config_without_a_container_config_gives_null(string json) => Assert.Null(Read(json));

    [Theory]
    [InlineData("[1,2]", "not a JSON object")]
    [InlineData("""{"config":{"Cmd":[1""", "not valid JSON")]
    [InlineData("""{"os":"linux",""", "not valid JSON")]
    public void Bad_json_is_a_one_line_input_error(string json, string expected)
    {
        var e = Assert.Throws<InvalidInputException>(() => Read(json));
        Assert.Contains("config of image x", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.DoesNotContain("\n", e.Message);
    }
}
