set grid
set key outside right
set xlabel '#params'
set ylabel 'test accuracy (%)'
set logscale x
set terminal pngcairo size 900,560
set output 'docs/results/fmnist-dwcnn/report/plots/acc_vs_params.png'
plot 'docs/results/fmnist-dwcnn/report/plots/acc_vs_params_0.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 12', 'docs/results/fmnist-dwcnn/report/plots/acc_vs_params_1.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 18', 'docs/results/fmnist-dwcnn/report/plots/acc_vs_params_2.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 24'
set terminal svg size 900,560
set output 'docs/results/fmnist-dwcnn/report/plots/acc_vs_params.svg'
plot 'docs/results/fmnist-dwcnn/report/plots/acc_vs_params_0.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 12', 'docs/results/fmnist-dwcnn/report/plots/acc_vs_params_1.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 18', 'docs/results/fmnist-dwcnn/report/plots/acc_vs_params_2.dat' using 1:2 with points pt 7 ps 0.8 title 'depth 24'
