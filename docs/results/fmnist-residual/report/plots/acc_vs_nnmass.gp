set grid
set key outside right
set xlabel 'NN-Mass'
set ylabel 'test accuracy (%)'
set terminal pngcairo size 900,560
set output 'docs/results/fmnist-residual/report/plots/acc_vs_nnmass.png'
plot 'docs/results/fmnist-residual/report/plots/acc_vs_nnmass_0.dat' using 1:2 with points pt 7 ps 0.8 title 'family mobilenet_v2', 'docs/results/fmnist-residual/report/plots/acc_vs_nnmass_1.dat' using 1:2 with points pt 7 ps 0.8 title 'family resnet'
set terminal svg size 900,560
set output 'docs/results/fmnist-residual/report/plots/acc_vs_nnmass.svg'
plot 'docs/results/fmnist-residual/report/plots/acc_vs_nnmass_0.dat' using 1:2 with points pt 7 ps 0.8 title 'family mobilenet_v2', 'docs/results/fmnist-residual/report/plots/acc_vs_nnmass_1.dat' using 1:2 with points pt 7 ps 0.8 title 'family resnet'
