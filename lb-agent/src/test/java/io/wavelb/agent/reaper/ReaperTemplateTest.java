package io.wavelb.agent.reaper;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * lb-agent/deploy/reaper.yaml parses, wires EventBridge to the function, and grants the reaper
 * exactly the AWS actions it calls (ReaperTest records those calls against the emulator and
 * compares them with {@link #awsActionsGranted}).
 */
class ReaperTemplateTest {

    @SuppressWarnings("unchecked")
    static Map<String, Object> template() throws Exception {
        return (Map<String, Object>) new Yaml(new SafeConstructor(new LoaderOptions()))
                .load(Files.readString(Path.of("deploy/reaper.yaml")));
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> resource(String name) throws Exception {
        return (Map<String, Object>) ((Map<String, Object>) template().get("Resources")).get(name);
    }

    /** Every {@code service:Action} the role grants, except CloudWatch Logs (Lambda's own logging). */
    @SuppressWarnings("unchecked")
    static Set<String> awsActionsGranted() throws Exception {
        Map<String, Object> props = (Map<String, Object>) resource("ReaperRole").get("Properties");
        Set<String> actions = new TreeSet<>();
        for (Map<String, Object> policy : (List<Map<String, Object>>) props.get("Policies")) {
            Map<String, Object> doc = (Map<String, Object>) policy.get("PolicyDocument");
            for (Map<String, Object> st : (List<Map<String, Object>>) doc.get("Statement")) {
                assertThat(st.get("Effect")).isEqualTo("Allow");
                Object a = st.get("Action");
                for (Object one : a instanceof List<?> l ? l : List.of(a)) {
                    if (!one.toString().startsWith("logs:")) {
                        actions.add(one.toString());
                    }
                }
            }
        }
        return actions;
    }

    @Test
    @SuppressWarnings("unchecked")
    void theTemplateWiresBothRulesToTheFunctionWithLeastPrivilege() throws Exception {
        Map<String, Object> fn = (Map<String, Object>) resource("ReaperFunction").get("Properties");
        assertThat(fn.get("Handler")).isEqualTo(ReaperLambda.class.getName() + "::handleRequest");
        assertThat(fn.get("Runtime")).isEqualTo("java21");
        Map<String, Object> vars = (Map<String, Object>) ((Map<String, Object>) fn.get("Environment")).get("Variables");
        assertThat(vars.keySet()).containsExactlyInAnyOrder("WAVELB_CLUSTER_ID", "WAVELB_HOSTED_ZONE_ID",
                "WAVELB_RECORD_NAMES", "WAVELB_CLOUD_MAP_NAMESPACE", "WAVELB_CLOUD_MAP_SERVICE");
        Map<String, Object> ec2 = (Map<String, Object>) ((Map<String, Object>) resource("Ec2StateRule").get("Properties"))
                .get("EventPattern");
        assertThat((List<String>) ((Map<String, Object>) ec2.get("detail")).get("state"))
                .containsExactlyInAnyOrderElementsOf(ReapEvent.LEAVING);
        Map<String, Object> asg = (Map<String, Object>) ((Map<String, Object>) resource("AutoScalingRule").get("Properties"))
                .get("EventPattern");
        assertThat((List<String>) asg.get("detail-type")).contains("EC2 Instance-terminate Lifecycle Action");
        assertThat(awsActionsGranted()).containsExactly("route53:ChangeResourceRecordSets", "route53:GetChange",
                "route53:ListResourceRecordSets", "servicediscovery:DeregisterInstance", "servicediscovery:ListInstances",
                "servicediscovery:ListNamespaces", "servicediscovery:ListServices");
        String text = Files.readString(Path.of("deploy/reaper.yaml"));
        assertThat(text).as("no wildcard action").doesNotContainPattern("Action:.*\\*");
        assertThat(text).contains("route53:ChangeResourceRecordSetsActions: [DELETE]");
    }
}
