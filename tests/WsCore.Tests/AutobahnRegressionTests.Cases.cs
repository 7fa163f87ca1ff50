namespace WsCore.Tests;

// The wire bytes below are the exact chops the Autobahn TestSuite (fuzzingclient, sections 1-7) sent to an echo server,
// taken from its wire logs; each test feeds them to a server-role engine chop by chop and checks what an echo
// server built on it would answer. Expectation syntax: see AutobahnRegressionTests.RunCase.
public partial class AutobahnRegressionTests
{
    [Fact] public void Case_1_1_1() => RunCase("8180392946e5|888214e028f51708", "T: peer:1000");
    [Fact] public void Case_1_2_1() => RunCase("8280409c8194|8882ca1f06d8c9f7", "B: peer:1000");
    [Fact] public void Case_2_1() => RunCase("89804bc1c682|888222e300d9210b", "P: peer:1000");
    [Fact] public void Case_2_2() => RunCase("898dce4ef0aa862b9cc6a162d0dda13c9cceef|888209c094340a28", "P:48656c6c6f2c20776f726c6421 peer:1000");
    [Fact] public void Case_2_3() => RunCase("898844ef5eee4410a013b8145e11|88823bee57d23806", "P:00fffefdfcfb00ff peer:1000");
    [Fact] public void Case_2_7() => RunCase("8a80d7590359|8882d9d1af36da39", "peer:1000");
    [Fact] public void Case_2_8() => RunCase("8a98458c993930e2ea5629e5fa5031e9fd1935e3f75e65fcf84029e3f85d|88823a4588a439ad", "peer:1000");
    [Fact] public void Case_2_9() => RunCase("8a9859ac0a0b2cc2796435c569622dc96e2b29c3646c79dc6b7235c36b6f|898c43de236733b74d0063ae421e2fb14203|888271b52e79725d", "P:70696e67207061796c6f6164 peer:1000");
    [Fact] public void Case_2_10() => RunCase("89890cb10f4d7cd0762163d06b603c|898979e9b6800988cfec1688d2ad48|89894e2881983e49f8f42149e5b57c|898981b8cbe2f1d9b28eeed9afcfb2|89897d43d0530d22a93f1222b47e49|898922f08c9f5291f5f34d91e8b217|89893705315c476448305864557101|8989b9251520c9446c4cd644710d8e|8989f4cce83d84ad91519bad8c10cc|89892fad461e5fcc3f7240cc223316|8882ad1c6dd0aef4", "P:7061796c6f61642d30 P:7061796c6f61642d31 P:7061796c6f61642d32 P:7061796c6f61642d33 P:7061796c6f61642d34 P:7061796c6f61642d35 P:7061796c6f61642d36 P:7061796c6f61642d37 P:7061796c6f61642d38 P:7061796c6f61642d39 peer:1000");
    [Fact] public void Case_2_11() => RunCase("89|89|7e|13|da|7e|0e|72|a3|12|11|72|be|53|4e|89|89|4e|34|8d|4b|3e|55|f4|27|21|55|e9|66|7f|89|89|ed|0f|fb|ce|9d|6e|82|a2|82|6e|9f|e3|df|89|89|6d|36|1c|e8|1d|57|65|84|02|57|78|c5|5e|89|89|64|34|4f|fe|14|55|36|92|0b|55|2b|d3|50|89|89|9e|87|ce|32|ee|e6|b7|5e|f1|e6|aa|1f|ab|89|89|b4|7b|f0|4f|c4|1a|89|23|db|1a|94|62|82|89|89|39|c9|a0|ff|49|a8|d9|93|56|a8|c4|d2|0e|89|89|67|66|1b|87|17|07|62|eb|08|07|7f|aa|5f|89|89|d5|00|f2|82|a5|61|8b|ee|ba|61|96|af|ec|8882a10a016da2e2", "P:7061796c6f61642d30 P:7061796c6f61642d31 P:7061796c6f61642d32 P:7061796c6f61642d33 P:7061796c6f61642d34 P:7061796c6f61642d35 P:7061796c6f61642d36 P:7061796c6f61642d37 P:7061796c6f61642d38 P:7061796c6f61642d39 peer:1000");
    [Fact] public void Case_3_1() => RunCase("918d20e4ae616881c20d4fc88e164f96c20501", "fail:1002");
    [Fact] public void Case_3_2() => RunCase("818d48706e81001502ed275c4ef6270202e569|a18db46cfdc8fc0991a4db40ddbfdb1e91ac95|89803b4f26cf", "T:48656c6c6f2c20776f726c6421 fail:1002");
    [Fact] public void Case_3_3() => RunCase("818d08d6d27b40b3be1767faf20c67a4be1f29|b18d4b3aeeff035f82932416ce882448829b6a|898074ff2a48", "T:48656c6c6f2c20776f726c6421 fail:1002");
    [Fact] public void Case_3_4() => RunCase("81|8d|75|f2|e3|ce|3d|97|8f|a2|1a|de|c3|b9|1a|80|8f|aa|54|c1|8d|30|b9|55|0d|78", "T:48656c6c6f2c20776f726c6421 fail:1002");
    [Fact] public void Case_3_5() => RunCase("d28826dceba62623155bda27eb59", "fail:1002");
    [Fact] public void Case_3_6() => RunCase("e28dd8a4153290c1795eb7883545b7d67956f9", "fail:1002");
    [Fact] public void Case_3_7() => RunCase("f88009b80661", "fail:1002");
    [Fact] public void Case_4_1_1() => RunCase("8380f815f66c", "fail:1002");
    [Fact] public void Case_4_1_2() => RunCase("849725cf5a0f57aa296a57b93f6b05a02a6c4aab3f2f55ae23634aae3e", "fail:1002");
    [Fact] public void Case_4_1_3() => RunCase("818d5bffecc3139a80af34d3ccb4348d80a77a|8580355f3482|8980ab893c44", "T:48656c6c6f2c20776f726c6421 fail:1002");
    [Fact] public void Case_4_1_4() => RunCase("818d99ef39efd18a5583f6c31998f69d558bb8|868de00d5c7da86830118f217c0a8f7f3019c1|89807427ed5e", "T:48656c6c6f2c20776f726c6421 fail:1002");
    [Fact] public void Case_4_1_5() => RunCase("81|8d|f3|63|e2|21|bb|06|8e|4d|9c|4f|c2|56|9c|11|8e|45|d2|87|8d|3d|e8|b3|f1|75|8d|df|9d|52", "T:48656c6c6f2c20776f726c6421 fail:1002");
    [Fact] public void Case_4_2_1() => RunCase("8b80fb26a408", "fail:1002");
    [Fact] public void Case_4_2_2() => RunCase("8c973902504d4b6723284b743529196d202e5666356d49632921566334", "fail:1002");
    [Fact] public void Case_4_2_3() => RunCase("818d3ffaa583779fc9ef50d685f45088c9e71e|8d80273b145b|898009da8780", "T:48656c6c6f2c20776f726c6421 fail:1002");
    [Fact] public void Case_4_2_4() => RunCase("818de8ee68a5a08b04c987c248d2879c04c1c9|8e8d701aa727387fcb4b1f3687501f68cb4351|89801f222f47", "T:48656c6c6f2c20776f726c6421 fail:1002");
    [Fact] public void Case_4_2_5() => RunCase("81|8d|89|99|40|99|c1|fc|2c|f5|e6|b5|60|ee|e6|eb|2c|fd|a8|8f|8d|63|42|28|67|2b|27|44|0b|0c|6e|08|10|0c|30|44|03|42|89|80|d0|b7|3c|2a", "T:48656c6c6f2c20776f726c6421 fail:1002");
    [Fact] public void Case_5_1() => RunCase("098957cb548431b935e33aae3af066|8089367ae647500887205b1f883304", "fail:1002");
    [Fact] public void Case_5_2() => RunCase("0a897a0f99501c7df837176af7244b|8089563b5de530493c823b5e339164", "fail:1002");
    [Fact] public void Case_5_3() => RunCase("0189581fbb723e6dda15357ad50669|80897f0f1354197d7233126a7d204d|88821a710b7b1999", "T:667261676d656e7431667261676d656e7432 peer:1000");
    [Fact] public void Case_5_4() => RunCase("0189404498f32636f9942d21f68771|808934fd66c1528f07a6599808b506|888255c9fc625621", "T:667261676d656e7431667261676d656e7432 peer:1000");
    [Fact] public void Case_5_5() => RunCase("01|89|7f|0d|1f|83|19|7f|7e|e4|12|68|71|f7|4e|80|89|68|d8|fa|6b|0e|aa|9b|0c|05|bd|94|1f|5a|8882f431d3b0f7d9", "T:667261676d656e7431667261676d656e7432 peer:1000");
    [Fact] public void Case_5_6() => RunCase("0189a3e2ea5bc5908b3cce87842f92|898c184f5d5268263335383f3c2b74203c36|80894080890b26f2e86c2de5e77f72|88826ce1e64a6f09", "P:70696e67207061796c6f6164 T:667261676d656e7431667261676d656e7432 peer:1000");
    [Fact] public void Case_5_7() => RunCase("0189b041f4b3d63395d4dd249ac781|898c6fe7b0341f8ede534f97d14d0388d150|8089e209a9a5847bc8c28f6cc7d1d0|88824a7e728d4996", "P:70696e67207061796c6f6164 T:667261676d656e7431667261676d656e7432 peer:1000");
    [Fact] public void Case_5_8() => RunCase("01|89|a3|61|a8|cb|c5|13|c9|ac|ce|04|c6|bf|92|89|8c|36|73|24|9c|46|1a|4a|fb|16|03|45|e5|5a|1c|45|f8|80|89|34|b5|2f|f0|52|c7|4e|97|59|d0|41|84|06|8882e86d541eeb85", "P:70696e67207061796c6f6164 T:667261676d656e7431667261676d656e7432 peer:1000");
    [Fact] public void Case_5_9() => RunCase("8098f60b290498644729956447709f655c658262466ad67b487d9a644860|818d0fb52f6d47d0430160990f1a60c743092e", "fail:1002");
    [Fact] public void Case_5_10() => RunCase("8098acb5b636c2dad81bcfdad842c5dbc357d8dcd9588cc5d74fc0dad752|818d93dc67bcdbb90bd0fcf047cbfcae0bd8b2", "fail:1002");
    [Fact] public void Case_5_11() => RunCase("80|98|e6|81|5a|bf|88|ee|34|92", "fail:1002");
    [Fact] public void Case_5_12() => RunCase("00986b65eb69050a8544080a851d020b9e081f0c84074b158a10070a8a0d|818d65f2db1a2d97b7760adefb6d0a80b77e44", "fail:1002");
    [Fact] public void Case_5_13() => RunCase("00988c4b1090e2247ebdef247ee4e52565f1f8227ffeac3b71e9e02471f4|818dca714e638214220fa55d6e14a5032207eb", "fail:1002");
    [Fact] public void Case_5_14() => RunCase("00|98|d2|c7|ee|24|bc|a8|80|09", "fail:1002");
    [Fact] public void Case_5_15() => RunCase("0189d8eb32cebe9953a9b58e5cbae9|8089f8983e749eea5f1395fd5000ca|0089e46ab2308218d357890fdc44d7|818952801d6934f27c0e3fe5731d66", "T:667261676d656e7431667261676d656e7432 fail:1002");
    [Fact] public void Case_5_16() => RunCase("0089d534bfb1b346ded6b851d1c5e4|01897291403d14e3215a1ff42e4940|80899a92b702fce0d665f7f7d976a9|0089968aece9f0f88d8efbef829da7|01891fba3af879c85b9f72df548c2d|8089042d29c9625f48ae694847bd37", "fail:1002");
    [Fact] public void Case_5_17() => RunCase("8089e87603e28e04628585136d96d9|0189d8c5721fbeb71378b5a01c6bea|8089e6ae203380dc41548bcb4e47d5|8089a2712792c40346f5cf1449e693|01896523b3500351d2370846dd2457|8089a733fa61c1419b06ca56941594", "fail:1002");
    [Fact] public void Case_5_18() => RunCase("018931cd9f3157bffe565ca8f14500|8189b7f84f4ad18a2e2dda9d213e85", "fail:1002");
    [Fact] public void Case_5_19() => RunCase("01899fabe08cf9d981ebf2ce8ef8ae|00890401eea062738fc7696480d436|89893d8e44f04de12a9750eb64c11c|008918d5f6c57ea797a275b098b12b|008923e2ada84590cccf4e87c3dc17|89890bb7cd5d7bd8a33a66d2ed6f2a|808994389e0cf24aff6bf95df078a1|88824fa6c1a64c4e", "P:706f6e676d65203121 P:706f6e676d65203221 T:667261676d656e7431667261676d656e7432667261676d656e7433667261676d656e7434667261676d656e7435 peer:1000");
    [Fact] public void Case_5_20() => RunCase("0189b925ad33df57cc54d440c34788|0089793a15da1f4874bd145f7bae4b|89895c946d872cfb03e031f14db67d|00897b4c59571d3e38301629372348|0089103d85f2764fe4957d58eb8624|8989f19dc18c81f2afeb9cf8e1bed0|808942e98124249be0432f8cef5077|8882168880811560", "P:706f6e676d65203121 P:706f6e676d65203221 T:667261676d656e7431667261676d656e7432667261676d656e7433667261676d656e7434667261676d656e7435 peer:1000");
    [Fact] public void Case_6_4_1() => RunCase("018b3f6a5151f1d0b0ec86a5d29f83a4e4|008430fb7f13c46bff93", "fail:1007@1");
    [Fact] public void Case_6_4_2() => RunCase("018ca8b546c2660fa77f117ac50c147bf336|00814d853bc3dd", "fail:1007@1");
    [Fact] public void Case_6_4_3() => RunCase("0195ffc067fb|317a8646460fe435430ed2|0f6f40e7|9e9ba9139e9b|8080228b81d6|8882bcf1d22ebf19", "fail:1007@2");
    [Fact] public void Case_6_4_4() => RunCase("019538b55c10|f60fbdad817adfde847be9e4|a8|35dc755cdc28755c|80801e1c7611", "fail:1007@2");
    [Fact] public void Case_7_1_1() => RunCase("818c0c648b554401e7396344dc3a7e08ef74|888215f5c993161d", "T:48656c6c6f20576f726c6421 peer:1000");
    [Fact] public void Case_7_1_2() => RunCase("88826dcba2116e23|8880bce0a4b9", "peer:1000");
    [Fact] public void Case_7_1_3() => RunCase("88826025ee0e63cd|89801fc1126e", "peer:1000");
    [Fact] public void Case_7_1_4() => RunCase("88824c598bcd4fb1|818c403dc5060858a96a2f1d92693251a127", "peer:1000");
    [Fact] public void Case_7_1_5() => RunCase("018978f678b01e8419d7159316c449|8882e76f39b3e487|8089d74f5535b13d3452ba2a3b41e5", "peer:1000");
    [Fact] public void Case_7_3_1() => RunCase("8880f6dd5ea7", "peer:1000");
    [Fact] public void Case_7_3_2() => RunCase("88816ec7d0480f", "peer:1002");
    [Fact] public void Case_7_3_3() => RunCase("8882d9295c29dac1", "peer:1000");
    [Fact] public void Case_7_3_4() => RunCase("888e8cfeea538f16a236e0928573db91983fe8df", "peer:1000");
    [Fact] public void Case_7_5_1() => RunCase("88965680475b556889e1b73dfe94d54efb95e36de7db33e42e2f33e4", "peer:1002,1007");
    [Fact] public void Case_7_7_1() => RunCase("8882a14c7810a2a4", "peer:1000,1000");
    [Fact] public void Case_7_7_2() => RunCase("88820a7a560d0993", "peer:1000,1001");
    [Fact] public void Case_7_7_3() => RunCase("88828a37a87989dd", "peer:1000,1002");
    [Fact] public void Case_7_7_4() => RunCase("88827dd5d22f7e3e", "peer:1000,1003");
    [Fact] public void Case_7_7_5() => RunCase("8882c43c60ffc7d3", "peer:1000,1007");
    [Fact] public void Case_7_7_6() => RunCase("8882816840378298", "peer:1000,1008");
    [Fact] public void Case_7_7_7() => RunCase("8882522364cd51d2", "peer:1000,1009");
    [Fact] public void Case_7_7_8() => RunCase("88829f92d52a9c60", "peer:1000,1010");
    [Fact] public void Case_7_7_9() => RunCase("8882ba7f0c6db98c", "peer:1000,1011");
    [Fact] public void Case_7_7_10() => RunCase("88823b97b01e302f", "peer:1000,3000");
    [Fact] public void Case_7_7_11() => RunCase("888294c2c5929b5d", "peer:1000,3999");
    [Fact] public void Case_7_7_12() => RunCase("888257b434495814", "peer:1000,4000");
    [Fact] public void Case_7_7_13() => RunCase("888297422f7b84c5", "peer:1000,4999");
    [Fact] public void Case_7_9_1() => RunCase("88829b2cfd979b2c", "peer:1002");
    [Fact] public void Case_7_9_2() => RunCase("88820c2dc3950fca", "peer:1002");
    [Fact] public void Case_7_9_3() => RunCase("8882bd8d2c42be61", "peer:1002");
    [Fact] public void Case_7_9_4() => RunCase("8882bb23dc5fb8ce", "peer:1002");
    [Fact] public void Case_7_9_5() => RunCase("88828a324d5b89dc", "peer:1002");
    [Fact] public void Case_7_9_6() => RunCase("8882cc91d618cf69", "peer:1002");
    [Fact] public void Case_7_9_7() => RunCase("8882f827bc4dfc6b", "peer:1002");
    [Fact] public void Case_7_9_8() => RunCase("88828034c6c787e4", "peer:1002");
    [Fact] public void Case_7_9_9() => RunCase("88822eed2818255a", "peer:1002");
    [Fact] public void Case_7_13_1() => RunCase("88824a2b3e3259a3", "any:1000,5000,1002");
    [Fact] public void Case_7_13_2() => RunCase("8882c2c072eb3d3f", "any:1000,65535,1002");

    public static TheoryData<string, string, string> Section6Cases => new()
    {
        { "6.1.1", "8180da863408|888293864072906e", "T: peer:1000" },
        { "6.1.2", "0180548f6c71|00809207f4dd|80801bb68d7f|888255fc6dca5614", "T: peer:1000" },
        { "6.1.3", "0180e1b0fe70|009433e200135e8b64775f87207541836d761392616a5f8d6177|80805de1dda0|8882bb3aeac5b8d2", "T:6d6964646c65206672616d65207061796c6f6164 peer:1000" },
        { "6.2.1", "819d9ca813dbd4cd7fb7f385d16edc6b8c182a6bb718206bb3183d85468fda852bfabd|88820b4d57a608a5", "T:48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121 peer:1000" },
        { "6.2.2", "018ff67756d5be123ab9995a9460b6b4c91640b4f2|808e54d15ec4976d9d6497707391009773fc75f0|8882d0cd1732d325", "T:48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121 peer:1000" },
        { "6.2.3", "01819aab601fd2|00812beeb0344e|0081b1ac9cfedd|0081fac58a0896|0081f07467879f|0081c1689849ec|00814aaf162188|0081788f86cdcd|00817c0799423c|0081d8fdcc081b|0081a60e038039|008107dbb4ffc4|0081749f46d1c2|008170cb6a5bb3|00817ba92c28df|008118c7714adb|0081f9d4b6ae45|0081c9d0a70a0a|008118d0ada2b8|0081b7224da474|008142f8ff40e3|0081c7fa62a9ea|008104b9ac5f51|0081f5e1c49ba1|008156d03eb710|0081791e9a8554|0081eb98eaa3d3|00811bf0547b3a|00819c8e1bdebd|8080d8159ad7|8882aa3cfabca9d4", "T:48656c6c6f2dc2b540c39fc3b6c3a4c3bcc3a0c3a12d5554462d382121 peer:1000" },
        { "6.2.4", "01811d8af24bd3|008199a7daea23|00813d2674cddc|0081590bb219e4|0081a6e43c9f1f|008172dd181bbd|0081265d0769a5|008104d0c013ca|0081b05c7f030c|00813e171e41f0|0081f6a4b6f343|8080819abb6c|88828c04556f8fec", "T:cebae1bdb9cf83cebcceb5 peer:1000" },
        { "6.3.1", "81947a75f09bb4cf1126c3ba7355c6bb4576daf595ff130195ff", "fail:1007" },
        { "6.3.2", "01819acf3bba54|00810f66e22bb5|0081d01eb1e931|0081e5acb88958|0081a2ee819b1b|00815085df959f|0081d0ea16eb53|00816239bc75ac|00817c91bf3dc0|0081ae3b48d460|0081bd2393ed08|008121ff5093cc|0081c61ac2d666|0081bfaad07c3f|00814e2161dc2b|00817f775ff91b|008103d96c6d6a|00813415cbf640|00818cc1fd73e9|0081a8b1e460cc|80808c225715", "fail:1007" },
        { "6.5.1", "818b4813892f2076e5432737fe403a7fed|888231e7154d320f", "T:68656c6c6f24776f726c64 peer:1000" },
        { "6.5.2", "818c549602633cf36e0f3b54a0143be46e07|8882cd58be87ceb0", "T:68656c6c6fc2a2776f726c64 peer:1000" },
        { "6.5.3", "818d07ea953b6f8ff957680817977085e75763|88822140b3a522a8", "T:68656c6c6fe282ac776f726c64 peer:1000" },
        { "6.5.4", "818eb7d3b8b6dfb6d4dad8231c1b15a4d7c4dbb7|888207ac45a10444", "T:68656c6c6ff0a4ada2776f726c64 peer:1000" },
        { "6.5.5", "818b77d7f830b96d198dce187bfecb194d|888296de5c0f9536", "T:cebae1bdb9cf83cebcceb5 peer:1000" },
        { "6.6.1", "8181bab8c2e574", "fail:1007" },
        { "6.6.2", "818299d0dad1576a|8882da6b3795d983", "T:ceba peer:1000" },
        { "6.6.3", "8183e2149c252cae7d", "fail:1007" },
        { "6.6.4", "8184ff852e9e313fcf23", "fail:1007" },
        { "6.6.5", "8185ea9f7908242598b553|888287a8e5388440", "T:cebae1bdb9 peer:1000" },
        { "6.6.6", "81863c37524df28db3f085f8", "fail:1007" },
        { "6.6.7", "8187065fe0b1c8e5010cbf9063|8882b6fa75f3b512", "T:cebae1bdb9cf83 peer:1000" },
        { "6.6.8", "8188a37c19406dc6f8fd1ab39a8e", "fail:1007" },
        { "6.6.9", "8189d8f37bc816499a75613cf80664|8882bbe7de12b80f", "T:cebae1bdb9cf83cebc peer:1000" },
        { "6.6.10", "818a887ca9ad46c6481031b32a6334b2", "fail:1007" },
        { "6.6.11", "818b93ef6f875d558e3a2a20ec492f21da|8882da391a6cd9d1", "T:cebae1bdb9cf83cebcceb5 peer:1000" },
        { "6.7.1", "81816f9ed6b46f|88825deac9c25e02", "T:00 peer:1000" },
        { "6.7.2", "818270323f99b2b2|8882b7537f6ab4bb", "T:c280 peer:1000" },
        { "6.7.3", "8183e37c6de103dced|88820225c27501cd", "T:e0a080 peer:1000" },
        { "6.7.4", "81846ce81c0b9c789c8b|8882c1e8f810c200", "T:f0908080 peer:1000" },
        { "6.8.1", "8185b772fc004ffa7c8037", "fail:1007" },
        { "6.8.2", "8186950ec113698a4193158e", "fail:1007" },
        { "6.9.1", "8181928aaa5ded|8882cb01be7fc8e9", "T:7f peer:1000" },
        { "6.9.2", "8182e4f5befb3b4a|8882647e0c246796", "T:dfbf peer:1000" },
        { "6.9.3", "8183b3c823dd5c779c|8882338fc9f93067", "T:efbfbf peer:1000" },
        { "6.9.4", "818421fad4c6d5756b79|8882b8363360bbde", "T:f48fbfbf peer:1000" },
        { "6.10.1", "81844ee7f264b9584ddb", "fail:1007" },
        { "6.10.2", "8185df92db6f242d64d060", "fail:1007" },
        { "6.10.3", "8186ab346b81568bd43e148b", "fail:1007" },
        { "6.11.1", "81839bb8208f76279f|8882bffb18a6bc13", "T:ed9fbf peer:1000" },
        { "6.11.2", "81839ef294a8707214|888288adb4628b45", "T:ee8080 peer:1000" },
        { "6.11.3", "81832c90efa6c32f52|8882db165921d8fe", "T:efbfbd peer:1000" },
        { "6.11.4", "8184794a5da78dc5e218|88826448402767a0", "T:f48fbfbf peer:1000" },
        { "6.11.5", "818440633953b4f3b9d3", "fail:1007" },
        { "6.12.1", "818166613bc1e6", "fail:1007" },
        { "6.12.2", "8181a712df8d18", "fail:1007" },
        { "6.12.3", "81823ca8d8b3bc17", "fail:1007" },
        { "6.12.4", "81838b6b35e10bd4b5", "fail:1007" },
        { "6.12.5", "818409d8706c8967f0d3", "fail:1007" },
        { "6.12.6", "8185b5e8c5db3557456435", "fail:1007" },
        { "6.12.7", "81860e8888308e37088f8e37", "fail:1007" },
        { "6.13.2", "819e5f5ee856bf7e0976bd7e0b76bb7e0d76b97e0f76b77e0176b57e0376b37e0576b17e", "fail:1007" },
        { "6.13.3", "818e50bab2a5a09a4385a29a4185a49a4785a69a", "fail:1007" },
        { "6.13.4", "8186bd7a9276455a6b56475a", "fail:1007" },
        { "6.13.5", "8182474b488fbb6b", "fail:1007" },
        { "6.14.1", "818180c0d03740", "fail:1007" },
        { "6.14.2", "818209d4406ee954", "fail:1007" },
        { "6.14.3", "81832bebaa25db6b2a", "fail:1007" },
        { "6.14.4", "8184adf5f220557572a0", "fail:1007" },
        { "6.14.5", "81857dbb0a14813b8a94fd", "fail:1007" },
        { "6.14.6", "8181cf442e2110", "fail:1007" },
        { "6.14.7", "8182c5f8d1bd2a47", "fail:1007" },
        { "6.14.8", "8183468233fab13d8c", "fail:1007" },
        { "6.14.9", "8184c72dadc63c921279", "fail:1007" },
        { "6.14.10", "81851a8efe7ae73141c5a5", "fail:1007" },
        { "6.15.1", "819e976f20ac578fa05c17efd82c17efdc2c17efa07378d0d71328949f1328929f1328d0", "fail:1007" },
        { "6.16.1", "8181b8b7a5f246", "fail:1007" },
        { "6.16.2", "8181f7ebeab708", "fail:1007" },
        { "6.16.3", "8184b41781c84ae97e37", "fail:1007" },
        { "6.17.1", "8182fdbc05353d13", "fail:1007" },
        { "6.17.2", "8183e98cd439090c7b", "fail:1007" },
        { "6.17.3", "818419f9ff81e9797f2e", "fail:1007" },
        { "6.17.4", "8185d89d8f0d201d0f8d77", "fail:1007" },
        { "6.17.5", "818674b088e388300863f41f", "fail:1007" },
        { "6.18.1", "8182fc7c79f73dc3", "fail:1007" },
        { "6.18.2", "8183c28c1a802213a5", "fail:1007" },
        { "6.18.3", "81844a4cd962bac366dd", "fail:1007" },
        { "6.18.4", "8185c733f8333fb4478c78", "fail:1007" },
        { "6.18.5", "8186fa2a18c606a9a7794595", "fail:1007" },
        { "6.19.1", "818221ff9e3ae17f", "fail:1007" },
        { "6.19.2", "81832ba46118cb24e1", "fail:1007" },
        { "6.19.3", "8184d82a528628aad206", "fail:1007" },
        { "6.19.4", "818512a0c98dea20490d92", "fail:1007" },
        { "6.19.5", "81865c951651a01596d1dc15", "fail:1007" },
        { "6.20.1", "8183f119d4681cb954", "fail:1007" },
        { "6.20.2", "818314570278f9fabd", "fail:1007" },
        { "6.20.3", "818395f673f17858f3", "fail:1007" },
        { "6.20.4", "81838dc662046069dd", "fail:1007" },
        { "6.20.5", "8183538daae2be3d2a", "fail:1007" },
        { "6.20.6", "8183136cb29cfed232", "fail:1007" },
        { "6.20.7", "8183b55d3b9c58e284", "fail:1007" },
        { "6.21.1", "818667797b468ad9fbabd7f9", "fail:1007" },
        { "6.21.2", "8186a4ebc5af494b45421b54", "fail:1007" },
        { "6.21.3", "8186e578b7ac08d5084155f8", "fail:1007" },
        { "6.21.4", "8186f44e768c19e3c9614bf1", "fail:1007" },
        { "6.21.5", "8186c5f835ed2856b5007578", "fail:1007" },
        { "6.21.6", "81865d19a888b0b72865e2a6", "fail:1007" },
        { "6.21.7", "8186b09f2e795d309194001f", "fail:1007" },
        { "6.21.8", "8186756a3e7298c5819fcad5|8882f4e7226af70f", "fail:1007" },
        { "6.22.1", "8183b328ca0e5c9774|888275b674aa765e", "T:efbfbe peer:1000" },
        { "6.22.2", "81836c0b2ab583b495|8882d2db1a12d133", "T:efbfbf peer:1000" },
        { "6.22.3", "81846d3637229da9889c|8882be09122fbde1", "T:f09fbfbe peer:1000" },
        { "6.22.4", "8184cf2c71ca3fb3ce75|8882bfed583abc05", "T:f09fbfbf peer:1000" },
        { "6.22.5", "81848af367c97a5cd877|8882f9c1db7afa29", "T:f0afbfbe peer:1000" },
        { "6.22.6", "8184b215402342baff9c|8882029dfb620175", "T:f0afbfbf peer:1000" },
        { "6.22.7", "818470feda70804165ce|888214b7324d175f", "T:f0bfbfbe peer:1000" },
        { "6.22.8", "818457920067a72dbfd8|88828cee068d8f06", "T:f0bfbfbf peer:1000" },
        { "6.22.9", "81844b331b87babca439|8882efbc813fec54", "T:f18fbfbe peer:1000" },
        { "6.22.10", "81844e352a04bfba95bb|8882008f7eb80367", "T:f18fbfbf peer:1000" },
        { "6.22.11", "8184f193c644000c79fa|8882bc4bc5d5bfa3", "T:f19fbfbe peer:1000" },
        { "6.22.12", "81846193e563900c5adc|8882b6a2fc96b54a", "T:f19fbfbf peer:1000" },
        { "6.22.13", "81847c0f10e98da0af57|8882b2db586cb133", "T:f1afbfbe peer:1000" },
        { "6.22.14", "81843f23bf27ce8c0098|88826a9c9b386974", "T:f1afbfbf peer:1000" },
        { "6.22.15", "8184a6c4519e577bee20|8882300c819833e4", "T:f1bfbfbe peer:1000" },
        { "6.22.16", "81847ef2ffc48f4d407b|8882f4be4c4ff756", "T:f1bfbfbf peer:1000" },
        { "6.22.17", "818417618c37e5ee3389|88827610b01875f8", "T:f28fbfbe peer:1000" },
        { "6.22.18", "8184f740ae2c05cf1193|8882275be7e224b3", "T:f28fbfbf peer:1000" },
        { "6.22.19", "81844fcc1ff5bd53a04b|8882b6fa3d95b512", "T:f29fbfbe peer:1000" },
        { "6.22.20", "818417225c58e5bde3e7|8882673fa96e64d7", "T:f29fbfbf peer:1000" },
        { "6.22.21", "8184cac03e6a386f81d4|8882a91071efaaf8", "T:f2afbfbe peer:1000" },
        { "6.22.22", "8184c93237383b9d8887|8882ec1e170ceff6", "T:f2afbfbf peer:1000" },
        { "6.22.23", "8184e40d42bc16b2fd02|8882ab3c03e0a8d4", "T:f2bfbfbe peer:1000" },
        { "6.22.24", "8184a0e465dd525bda62|8882dc7f0fa8df97", "T:f2bfbfbf peer:1000" },
        { "6.22.25", "818447a2fb50b42d44ee|888244fc9d4d4714", "T:f38fbfbe peer:1000" },
        { "6.22.26", "818479df20b48a509f0b|88820d37624a0edf", "T:f38fbfbf peer:1000" },
        { "6.22.27", "8184f2d25063014defdd|888208c4b6450b2c", "T:f39fbfbe peer:1000" },
        { "6.22.28", "8184e325730110baccbe|888253c38229502b", "T:f39fbfbf peer:1000" },
        { "6.22.29", "8184f8e3e8600b4c57de|888265fb975b6613", "T:f3afbfbe peer:1000" },
        { "6.22.30", "81849e1ac8906db5772f|8882be7a2c87bd92", "T:f3afbfbf peer:1000" },
        { "6.22.31", "8184b66e1eb545d1a10b|88822115d9e222fd", "T:f3bfbfbe peer:1000" },
        { "6.22.32", "81844099627fb326ddc0|888237c8c5103420", "T:f3bfbfbf peer:1000" },
        { "6.22.33", "81849f02433d6b8dfc83|888259042cb15aec", "T:f48fbfbe peer:1000" },
        { "6.22.34", "8184e3c945191746faa6|88826d5185256eb9", "T:f48fbfbf peer:1000" },
        { "6.23.1", "81831f6e0038f0d1b9|8882479ba5cb4473", "T:efbfb9 peer:1000" },
        { "6.23.2", "8183431b2b49aca491|8882a1ef3e14a207", "T:efbfba peer:1000" },
        { "6.23.3", "8183a7ab31ce48148a|88823bbad9673852", "T:efbfbb peer:1000" },
        { "6.23.4", "81832b86f51ac43949|88825da7dacc5e4f", "T:efbfbc peer:1000" },
        { "6.23.5", "8183caf069a9254fd4|8882b99895e7ba70", "T:efbfbd peer:1000" },
        { "6.23.6", "818332fdb2bfdd420c|8882610ef5bd62e6", "T:efbfbe peer:1000" },
        { "6.23.7", "81833633370fd98c88|8882fdce893efe26", "T:efbfbf peer:1000" },
    };
}
